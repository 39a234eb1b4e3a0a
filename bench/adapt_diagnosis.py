"""Which normalisation to re-measure when adapting a probe's head to a new domain, measured on one
pair (clean -> blurred shapes) from the files and caches of a bench_adapt.py work folder (copied
from its temporary folder while it ran): the source head on the target's held-out files with the
source's features and standardisation (a), the head's input standardisation re-measured on the
target pool (b), the backbone's batch-norm statistics re-measured on it (c, d), and self-training on
top of each, at two strengths and two shares. The folder's second target run must have re-measured the
backbone's statistics (core.train.adapt.ADABN_BACKBONE = "always", as every run did when this was measured). Output: bench/results/adapt_blur_diagnosis.txt.

Run: .venv/bin/python bench/adapt_diagnosis.py WORK_FOLDER > bench/results/adapt_blur_diagnosis.txt
"""
import sys
from pathlib import Path
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import numpy as np, torch
torch.set_num_threads(1)
from core.project import Project
from core.runs import load_run
from core import features
from core.weights import resolve
from core.train.from_run import read_init_run
from core.probe import adapt as ops

W = Path(sys.argv[1])
src = Project.open(W / "source-image", read_only=True)
tgt = Project.open(W / "image-blur/target", read_only=True)
held = Project.open(W / "image-blur/held-out", read_only=True)
runs = sorted(p.name for p in (W / "image-blur/target/runs").iterdir())
S = load_run(src, sorted(p.name for p in (W/"source-image/runs").iterdir())[0])
A = load_run(tgt, runs[1])  # adapted (self-training)
src_dir = str(W / "source-image/runs" / S.info.id)
init_id = read_init_run(tgt, src_dir).identity
def feats(project, loaded, identity, samples):
    f = features.extract(loaded.spec, [(s.hash, features.sample_source(project, loaded.spec, s)) for s in samples],
                         cache_dir=project.cache_dir, model=loaded.model.backbone, weights_identity=identity)
    print("computed", f.computed, file=sys.stderr)
    return torch.from_numpy(f.vectors).double()
test = held.samples(status="ok"); truth = [s.label for s in test]
pool = tgt.samples(status="ok")
pool_truth = [Path(s.original_path).parent.name for s in pool]
names = S.class_names
y_test = np.array([names.index(t) for t in truth]); y_pool = np.array([names.index(t) for t in pool_truth])
imagenet = resolve(S.spec).identity
t_un = feats(held, S, imagenet, test)
t_ad = feats(held, A, A.meta["backbone_identity"], test)
p_un = feats(tgt, S, init_id, pool)
p_ad = feats(tgt, A, A.meta["backbone_identity"], pool)
m = S.model
W0 = m.head.weight.detach().T.double(); b0 = m.head.bias.detach().double()
mu_s, sd_s = m.feature_mean.double(), m.feature_std.double()
def tstats(x):
    from core.train.model import Classifier
    n=len(x); var=x.var(0, unbiased=False); overall=float(var.mean()); P=100
    return x.mean(0), ((n*var+P*overall)/(n+P)).sqrt().clamp(min=1e-4)
def acc(z, W, b, y): return float((ops.proba(z, W, b).argmax(1)==y).mean())
mu_u, sd_u = tstats(p_un); mu_a, sd_a = tstats(p_ad)
print("dims", t_un.shape, "source pool-train strength", (S.meta.get("best") or {}).get("probe_choice"))
print("a source:                 ", acc((t_un-mu_s)/sd_s, W0, b0, y_test), "pool", acc((p_un-mu_s)/sd_s, W0, b0, y_pool))
print("b target std only:        ", acc((t_un-mu_u)/sd_u, W0, b0, y_test))
print("b2 target mean only:      ", acc((t_un-mu_u)/sd_s, W0, b0, y_test))
print("c BN only, source std:    ", acc((t_ad-mu_s)/sd_s, W0, b0, y_test))
print("d BN + target std:        ", acc((t_ad-mu_a)/sd_a, W0, b0, y_test))
print("d2 BN + target mean:      ", acc((t_ad-mu_a)/sd_s, W0, b0, y_test))
for label, (pu, tt, mu, sd) in {"src": (p_un, t_un, mu_s, sd_s), "tstd": (p_un, t_un, mu_u, sd_u), "BN+tstd": (p_ad, t_ad, mu_a, sd_a), "BN+tmean": (p_ad, t_ad, mu_a, sd_s)}.items():
    zu = (pu-mu)/sd; zt = (tt-mu)/sd
    for strength in (0.1, 1.0):
        for share in (0.5, 1.0):
            st = ops.self_train(zu, W0, b0, strength, share=share)
            print(f"self-train {label:9s} C={strength} share={share}: test {acc(zt, st.weight.double(), st.bias.double(), y_test):.3f} pseudo {st.pseudo} pseudo-acc {np.mean([y_pool[i]==c for i,c in st.guesses.items()]):.3f}")
