"""Candidate ways of learning from unlabelled rows, measured by bench/semi_lab.py on cached features.

Every method takes the probe's rows (see semi_lab_run.prepare) reduced to the span of the labelled
and unlabelled rows, and returns test-set probabilities; "always" numbers say what a method gives
when used on every task, before any rule decides where to use it."""

from __future__ import annotations

import numpy as np
import torch

from core.probe import semi
from core.probe.logistic import fit


def span(P: dict) -> dict:
    """Labelled, unlabelled and test rows in an orthonormal basis of the labelled + unlabelled rows."""
    a = torch.cat([P["x"], P["u"]]).double()
    g = a @ a.T
    lam, v = torch.linalg.eigh(g)
    keep = lam > lam[-1] * 1e-10
    basis = a.T @ (v[:, keep] / lam[keep].sqrt())
    n = len(P["x"])
    z = a @ basis
    return {"zl": z[:n], "zu": z[n:], "zt": P["t"].double() @ basis}


def proba(sol, z) -> np.ndarray:
    with torch.no_grad():
        return torch.softmax(z @ sol.weight + sol.bias, -1).numpy()


def lr(z, y, w, classes, strength, start=None):
    return fit(z, torch.from_numpy(np.asarray(y)), classes, strength, torch.from_numpy(np.asarray(w, dtype=np.float64)),
               start=start, tol=1e-4, max_iter=200)


def labelled_only(P, S):
    return proba(lr(S["zl"], P["y"], P["weight"], P["classes"], P["strength"]), S["zt"])


def current_method(kind):
    def run(P, S):
        base = lr(S["zl"], P["y"], P["weight"], P["classes"], P["strength"])
        sol = semi._method(semi.CANDIDATES[kind], S["zl"], P["y"], P["weight"], S["zu"], P["classes"],
                           P["strength"], base)[0]
        return proba(sol, S["zt"])
    return run


# ---------------------------------------------------------------- a shared-covariance Gaussian model


def pca_all(S, dims, seed=0):
    """Whitened principal components of every labelled and unlabelled row (randomised, seeded)."""
    a = torch.cat([S["zl"], S["zu"]])
    mu = a.mean(0)
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        _, s, v = torch.pca_lowrank(a, q=min(dims + 10, *a.shape), center=True, niter=3)
    d = min(dims, len(s))
    scale = s[:d] / np.sqrt(len(a))
    proj = lambda z: ((z - mu) @ v[:, :d]) / scale  # noqa: E731
    return proj


def gaussian_em(zl, y, wl, zu, classes, iterations=30, shrink=0.5, temp=1.0, labelled_weight=1.0, fixed_prior=True):
    """Semi-supervised EM of class means with one shared covariance (a mixture whose labelled rows
    keep their class). Returns (means [K, d], precision [d, d], unlabelled responsibilities [M, K])."""
    y = torch.from_numpy(y)
    onehot = torch.nn.functional.one_hot(y, classes).double() * torch.from_numpy(wl)[:, None] * labelled_weight
    d = zl.shape[1]
    r = torch.zeros(len(zu), classes, dtype=torch.float64)
    for it in range(iterations + 1):
        mass = onehot.sum(0) + r.sum(0)
        means = (onehot.T @ zl + r.T @ zu) / mass[:, None].clamp(min=1e-9)
        dl = zl - means[y]
        cov = (dl * onehot.sum(1, keepdim=True)).T @ dl
        for c in range(classes):
            du = zu - means[c]
            cov = cov + (du * r[:, c:c + 1]).T @ du
        cov = cov / mass.sum()
        cov = (1 - shrink) * cov + shrink * torch.eye(d, dtype=torch.float64) * cov.diagonal().mean()
        prec = torch.linalg.inv(cov)
        if it == iterations:
            break
        logit = zu @ prec @ means.T - 0.5 * ((means @ prec) * means).sum(1)
        if not fixed_prior:
            logit = logit + torch.log(mass / mass.sum())
        r = torch.softmax(logit / temp, 1)
    return means, prec, r


def lda_proba(means, prec, z):
    logit = z @ prec @ means.T - 0.5 * ((means @ prec) * means).sum(1)
    return torch.softmax(logit, 1).numpy()


def em_method(dims=32, shrink=0.5, iterations=30, head="lda", labelled_weight=1.0):
    def run(P, S):
        proj = pca_all(S, dims)
        zl, zu, zt = proj(S["zl"]), proj(S["zu"]), proj(S["zt"])
        means, prec, r = gaussian_em(zl, P["y"], P["weight"], zu, P["classes"], iterations, shrink,
                                     labelled_weight=labelled_weight)
        if head == "lda":
            return lda_proba(means, prec, zt)
        return refit_soft(P, S, r.numpy())
    return run


def refit_soft(P, S, r, share=1.0):
    """A logistic head on the labelled rows and the unlabelled ones with their most likely class
    (balanced top ``share``), weighing as much as the labelled ones (semi._refit)."""
    guess, conf = r.argmax(1), r.max(1)
    keep = semi._balanced_top(guess, conf, P["classes"], share)
    base = lr(S["zl"], P["y"], P["weight"], P["classes"], P["strength"])
    sol = semi._refit(S["zl"], P["y"], P["weight"], S["zu"], guess, keep, P["classes"], P["strength"], base)
    return proba(sol, S["zt"])


def lda_labelled_only(dims=32, shrink=0.5):
    """The same Gaussian model without unlabelled responsibilities (0 iterations), PCA from all rows."""
    return em_method(dims, shrink, 0)


def lr_on_pca(dims=64):
    """Labelled-only logistic on whitened principal components of all rows (the unlabelled rows
    only shape the features)."""
    def run(P, S):
        proj = pca_all(S, dims)
        return proba(lr(proj(S["zl"]), P["y"], P["weight"], P["classes"], P["strength"]), proj(S["zt"]))
    return run


def soft_kmeans(dims=64, iterations=20, temp=10.0):
    """Class prototypes refined on the unlabelled rows (cosine, soft assignments), labelled rows fixed."""
    def run(P, S):
        proj = pca_all(S, dims)
        n = lambda z: torch.nn.functional.normalize(z, dim=1)  # noqa: E731
        zl, zu, zt = n(proj(S["zl"])), n(proj(S["zu"])), n(proj(S["zt"]))
        y = torch.from_numpy(P["y"])
        onehot = torch.nn.functional.one_hot(y, P["classes"]).double() * torch.from_numpy(P["weight"])[:, None]
        protos = n(onehot.T @ zl)
        for _ in range(iterations):
            r = torch.softmax(temp * zu @ protos.T, 1)
            protos = n(onehot.T @ zl + r.T @ zu)
        return torch.softmax(temp * zt @ protos.T, 1).numpy()
    return run


def mix(a, b, share=0.5):
    def run(P, S):
        return (1 - share) * a(P, S) + share * b(P, S)
    return run


def agreement(dims=32, share=1.0):
    """Pseudo-labels only where the Gaussian model, label spreading and the labelled-only probe agree."""
    def run(P, S):
        proj = pca_all(S, dims)
        _, _, r = gaussian_em(proj(S["zl"]), P["y"], P["weight"], proj(S["zu"]), P["classes"])
        r = r.numpy()
        spread = semi._spread(torch.cat([S["zl"], S["zu"]]), P["y"], P["classes"], 10, 0.99)[len(P["y"]):]
        base = proba(lr(S["zl"], P["y"], P["weight"], P["classes"], P["strength"]), S["zu"])
        guess = r.argmax(1)
        agree = (guess == spread.argmax(1)) & (guess == base.argmax(1))
        return refit_soft(P, S, r * agree[:, None], share)
    return run


VARIANTS = {
    "labelled only": labelled_only,
    "self": current_method("self-training"),
    "spread": current_method("label spreading"),
    "lr on pca64": lr_on_pca(64),
    "lda32 labelled only": lda_labelled_only(32),
    "em32 (lda head)": em_method(32),
    "em64 (lda head)": em_method(64),
    "em16_lr": em_method(16, head="lr"),
    "em32_lr": em_method(32, head="lr"),
    "em64_lr": em_method(64, head="lr"),
    "em96_lr": em_method(96, head="lr"),
    "em128_lr": em_method(128, head="lr"),
    "em32 shrink .2_lr": em_method(32, shrink=0.2, head="lr"),
    "em32 shrink .8_lr": em_method(32, shrink=0.8, head="lr"),
    "em64 shrink .2_lr": em_method(64, shrink=0.2, head="lr"),
    "em64 shrink .8_lr": em_method(64, shrink=0.8, head="lr"),
    "soft k-means64": soft_kmeans(64),
    "agree": agreement(32),
    "mix labelled only + em32_lr": mix(labelled_only, em_method(32, head="lr")),
}


def compare(names, methods=None, seeds=3, per_class=5) -> dict:
    """Each variant used everywhere: gain in points over the probe's labelled-only head, per task."""
    from bench.semi_lab_run import accuracy, draws

    chosen = {k: VARIANTS[k] for k in (methods or VARIANTS)}
    gains = {}
    for name in names:
        for seed, P in draws(name, seeds, per_class):
            S = span(P)
            base = accuracy(P["base_test"], P["t_y"])
            row = {k: 100 * (accuracy(f(P, S), P["t_y"]) - base) for k, f in chosen.items()}
            gains[(name, seed)] = row
            print(name, seed, f"labelled only {100 * base:.1f}", " ".join(f"{k} {v:+.1f}" for k, v in row.items()),
                  flush=True)
    for name in names:
        rows = [gains[(name, s)] for s in range(seeds)]
        print(f"{name:14s}", " ".join(f"{k} {np.mean([r[k] for r in rows]):+.1f}" for k in chosen))
    return gains
