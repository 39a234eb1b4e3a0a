"""int8 settings for the pair's export, measured on held-out pictures (agreement with fp32, accuracy).

bench/bench_export.py's image project (5 shape classes, 40 labelled a class) trained with the default
probe, exported in fp32, then quantised with each setting (onnxruntime's quantize_static, QDQ, int8
weights per channel, the backbone only, as core.export.variants does): agreement with fp32 on 150
held-out pictures and on 200 of the project's labelled ones, held-out accuracy, size, latency.

    .venv/bin/python bench/int8_settings_lab.py [SETTING ...]  ->  bench/results/int8_settings.json
"""
import json, sys, tempfile, time
from pathlib import Path
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from bench.bench_export import _image_projects
from core.export import measure, variants as V
from core.export.exporter import export_run
from core.export.samples import calibration_inputs, labelled_inputs
from core.runs import load_run
from core.train import TrainConfig, Trainer
import onnx
from onnxruntime import quantization as q

def quant(src, dst, name, calib, quantise, method, extra, skip_dw):
    model = onnx.load(str(src), load_external_data=False)
    if skip_dw:
        inits = {i.name: i for i in model.graph.initializer}
        dw = set()
        for n in model.graph.node:
            if n.op_type == "Conv":
                g = next((a.i for a in n.attribute if a.name == "group"), 1)
                if g > 1: dw.add(n.name)
        quantise = quantise - dw
    exclude = [n.name for n in model.graph.node if n.name not in quantise]
    data = list(calib)
    class R(q.CalibrationDataReader):
        def __init__(s): s.it = iter(data)
        def get_next(s):
            x = next(s.it, None); return None if x is None else {name: x[None]}
    q.quantize_static(str(src), str(dst), R(), quant_format=q.QuantFormat.QDQ, per_channel=True,
                      activation_type=q.QuantType.QUInt8, weight_type=q.QuantType.QInt8,
                      calibrate_method=method, nodes_to_exclude=exclude, extra_options=extra)

root = Path(tempfile.mkdtemp())
project, heldout, photo = _image_projects(root)
run = Trainer(project, TrainConfig(mode="probe", seed=3)).fit()
print("trained", run.metrics.get("val_acc"), flush=True)
rep = export_run(project, root / "m.onnx", run.run_id)
loaded = load_run(project, run.run_id)
fp32 = root / "m.onnx"
scopes = V.node_scopes(onnx.load(str(fp32)))
bb = V.nodes_in(scopes, "classifier.backbone")
name = "image"
held = list(labelled_inputs(loaded, heldout, heldout.samples()))
settings = {
  "minmax64": (q.CalibrationMethod.MinMax, {}, False, 64),
  "minmax200": (q.CalibrationMethod.MinMax, {}, False, 200),
  "minmax64_movavg": (q.CalibrationMethod.MinMax, {"CalibMovingAverage": True}, False, 64),
  "minmax64_no_dw": (q.CalibrationMethod.MinMax, {}, True, 64),
  "percentile64": (q.CalibrationMethod.Percentile, {"CalibPercentile": 99.99}, False, 64),
  "entropy64": (q.CalibrationMethod.Entropy, {}, False, 64),
}
if len(sys.argv) > 1:
    settings = {k: v for k, v in settings.items() if k in sys.argv[1:]}
out = {}
for key, (method, extra, skip_dw, n) in settings.items():
    dst = root / f"{key}.onnx"
    t = time.perf_counter()
    try:
        quant(fp32, dst, name, calibration_inputs(loaded, project, n), bb, method, extra, skip_dw)
    except Exception as e:
        print(key, "failed", e, flush=True); continue
    qs = time.perf_counter() - t
    sessions = {"fp32": measure.session(fp32), key: measure.session(dst)}
    sc = measure.accuracy_pass(sessions, name, iter(held))
    proj_sc = measure.accuracy_pass(sessions, name, labelled_inputs(loaded, project, project.samples()[:200]))
    lat, _ = measure.latency({"fp32": fp32, key: dst}, name, photo, threads=1, budget_s=2.0)
    out[key] = {"held_acc": sc[key]["accuracy"], "fp32_held_acc": sc["fp32"]["accuracy"],
                "held_agree": sc[key]["top1_agreement_vs_fp32"], "proj_agree": proj_sc[key]["top1_agreement_vs_fp32"],
                "mib": round(dst.stat().st_size / 2**20, 2), "ms": round(lat[key], 2), "fp32_ms": round(lat["fp32"], 2),
                "quantise_s": round(qs, 1)}
    print(key, json.dumps(out[key]), flush=True)
json.dump({"machine": __import__("bench.machine", fromlist=["machine"]).machine(), "settings": out},
          open(ROOT / "bench" / "results" / "int8_settings.json", "w"), indent=1)
