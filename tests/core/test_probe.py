"""The solved probe (core.probe): the solver against scikit-learn, folds, model choice by
cross-validation, and the pull towards an earlier head."""

import subprocess
import sys

import numpy as np
import pytest
import torch

from core.probe.crossval import choose_strength, fold_count, stratified_folds
from core.probe.logistic import Solution, fit, predict_proba, reduce
from core.probe.solve import balanced_weights, solve_head


def blobs(n_per_class=30, classes=4, dims=40, informative=5, spread=1.0, seed=0):
    rng = np.random.default_rng(seed)
    centres = rng.normal(0, 1.5, (classes, informative))
    y = np.repeat(np.arange(classes), n_per_class)
    x = rng.normal(0, 1, (len(y), dims))
    x[:, :informative] += centres[y] / spread
    return x, y


def test_solver_matches_scikit_learn():
    sklearn = pytest.importorskip("sklearn.linear_model")
    x, y = blobs()
    for c in (0.05, 1.0):
        ref = sklearn.LogisticRegression(C=c, max_iter=5000, tol=1e-10).fit(x, y)
        sol = fit(torch.from_numpy(x), torch.from_numpy(y), 4, c, tol=1e-9, max_iter=2000)
        ours = predict_proba(torch.from_numpy(x), sol.weight, sol.bias).numpy()
        assert sol.converged
        assert np.abs(ours - ref.predict_proba(x)).max() < 2e-3


def test_the_solver_takes_torch_lbfgs_steps_exactly_without_importing_dynamo():
    """logistic.lbfgs is one torch.optim.LBFGS step without the optimizer object (whose creation
    imports TorchDynamo, SymPy and Triton: 136 MB): the same iterates to the last bit, in float64
    and float32, cold and warm-started, with weights and offsets, stopped early or converged."""
    x, y = blobs(n_per_class=20, dims=30, seed=3)
    rng = np.random.default_rng(4)
    for dt, c, iters, weights, offset in [(torch.float64, 1.0, 500, False, False), (torch.float32, 0.05, 7, True, False),
                                          (torch.float64, 30.0, 100, True, True)]:
        xt, yt = torch.from_numpy(x).to(dt), torch.from_numpy(y)
        sw = torch.from_numpy(rng.uniform(0.5, 1.5, len(y))).to(dt) if weights else None
        off = torch.from_numpy(rng.normal(0, 0.1, (len(y), 4))).to(dt) if offset else None
        ours = fit(xt, yt, 4, c, sw, offset=off, max_iter=iters)
        again = fit(xt, yt, 4, 3 * c, sw, offset=off, max_iter=iters, start=ours)
        for start, mine in ((None, ours), (ours, again)):
            w = torch.zeros(30, 4, dtype=dt) if start is None else start.weight.clone()
            b = torch.zeros(4, dtype=dt) if start is None else start.bias.clone()
            w.requires_grad_(True), b.requires_grad_(True)
            opt = torch.optim.LBFGS([w, b], lr=1.0, max_iter=iters, history_size=10, tolerance_grad=1e-5,
                                    tolerance_change=1e-10, line_search_fn="strong_wolfe")
            strength = c if start is None else 3 * c

            def closure():
                opt.zero_grad()
                logits = xt @ w + b + (0 if off is None else off)
                ce = torch.nn.functional.cross_entropy(logits, yt, reduction="none")
                total = len(y) if sw is None else float(sw.sum())
                loss = ((ce if sw is None else ce * sw).sum() + 0.5 / strength * w.pow(2).sum()) / total
                loss.backward()
                return loss

            opt.step(closure)
            assert torch.equal(mine.weight, w.detach()) and torch.equal(mine.bias, b.detach())
            assert mine.iterations == opt.state[w]["n_iter"]
    code = ("import sys, torch; from core.probe.logistic import fit; "
            "fit(torch.randn(50, 8), torch.randint(0, 3, (50,)), 3, 1.0); print('torch._dynamo' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_solving_in_the_span_of_the_rows_is_exact():
    x, y = blobs(n_per_class=6, dims=200, seed=1)  # 24 rows in 200 dimensions
    xt = torch.from_numpy(x)
    red = reduce(xt)
    assert red.basis is not None and red.z.shape == (24, 24)
    direct = fit(xt, torch.from_numpy(y), 4, 0.3, tol=1e-9, max_iter=3000)
    small = fit(red.z, torch.from_numpy(y), 4, 0.3, tol=1e-9, max_iter=3000)
    new = torch.from_numpy(blobs(n_per_class=5, dims=200, seed=9)[0])
    a = predict_proba(new, direct.weight, direct.bias)
    b = predict_proba(new, red.basis @ small.weight, small.bias)
    assert torch.allclose(a, b, atol=1e-4)


def test_the_preconditioned_solver_reaches_the_same_head_in_fewer_steps(one_torch_thread):
    """``precondition`` (rows reduced to their span): L-BFGS on the weights divided by the square
    root of the Hessian's diagonal at the start. The same problem: the same objective, reached at
    least as closely, cold and warm-started, with sample weights, in far fewer iterations."""
    rng = np.random.default_rng(5)
    # 150 rows of 600 correlated columns whose energies differ (as pooled features do), labels that
    # fit only partly (as real ones in many classes)
    x = rng.normal(0, 1, (150, 40)) @ rng.normal(0, 1, (40, 600)) * np.geomspace(3, 0.3, 600)
    y = np.where(rng.random(150) < 0.6, (x[:, :5].sum(1) > 0).astype(int) * 4 + rng.integers(0, 4, 150) % 2,
                 rng.integers(0, 6, 150))
    red = reduce(torch.from_numpy(x))
    yt, sw = torch.from_numpy(y), torch.from_numpy(balanced_weights(y, 6))

    def objective(sol, c):
        ce = torch.nn.functional.cross_entropy(red.z @ sol.weight + sol.bias, yt, reduction="none")
        return float(((ce * sw).sum() + 0.5 / c * sol.weight.pow(2).sum()) / sw.sum())

    plain_steps = pre_steps = 0
    start_plain = start_pre = None
    for c in (0.03, 0.3, 3.0):
        plain = fit(red.z, yt, 6, c, sw, tol=1e-5, max_iter=3000, start=start_plain)
        pre = fit(red.z, yt, 6, c, sw, tol=1e-5, max_iter=3000, start=start_pre, precondition=True)
        assert pre.converged
        assert objective(pre, c) <= objective(plain, c) + 1e-9
        plain_steps += plain.iterations
        pre_steps += pre.iterations
        start_plain, start_pre = plain, pre
    assert pre_steps < 0.5 * plain_steps
    # a saturated warm start (every probability near 0 or 1) leaves the intercept no curvature there
    saturated = Solution(pre.weight * 50, pre.bias * 50, 0, True)
    plain = fit(red.z, yt, 6, 0.01, sw, tol=1e-6, max_iter=3000, start=saturated)
    pre = fit(red.z, yt, 6, 0.01, sw, tol=1e-6, max_iter=3000, start=saturated, precondition=True)
    assert objective(pre, 0.01) <= objective(plain, 0.01) + 1e-8
    # weights of the reduced rows map back to the columns without forming the basis
    assert torch.allclose(red.to_columns(pre.weight), red.basis @ pre.weight, atol=1e-10)


def test_folds_are_stratified_and_keep_groups_together():
    y = np.array([0] * 10 + [1] * 7 + [2] * 5)
    folds = stratified_folds(y, 5, seed=3)
    for f in range(5):
        assert set(y[folds == f]) == {0, 1, 2}
    groups = np.repeat(np.arange(11), 2)  # two views of each of 11 samples
    yg = np.repeat(np.array([0] * 6 + [1] * 5), 2)
    fg = stratified_folds(yg, fold_count(yg, groups), seed=0, groups=groups)
    for g in range(11):
        assert len(set(fg[groups == g])) == 1
    assert fold_count(np.array([0, 0, 1])) == 0  # a class with one example cannot be left out
    assert fold_count(np.array([0] * 30 + [1] * 30)) == 5
    assert fold_count(np.array([0] * 60 + [1] * 50)) == 3  # from 50 a class, three folds judge well enough


def test_cross_validation_picks_a_strength_that_generalises():
    # 5 informative of 300 dimensions, 12 per class: weak regularisation overfits the noise
    x, y = blobs(n_per_class=12, dims=300, informative=5, spread=1.3, seed=4)
    xt, yt = blobs(n_per_class=200, dims=300, informative=5, spread=1.3, seed=4)
    strengths = (0.001, 0.01, 0.1, 1.0, 10.0, 100.0)
    choice = choose_strength(torch.from_numpy(x), y, 4, strengths=strengths)
    held_out = {}
    for c in strengths:
        sol = fit(torch.from_numpy(x), torch.from_numpy(y), 4, c)
        held_out[c] = float((predict_proba(torch.from_numpy(xt), sol.weight, sol.bias).argmax(1).numpy() == yt).mean())
    assert choice.folds == 5
    assert held_out[choice.strength] >= max(held_out.values()) - 0.05
    assert held_out[choice.strength] > held_out[100.0]  # better than the weakest regularisation
    assert abs(choice.accuracy - held_out[choice.strength]) < 0.15  # the estimate is honest


def test_strong_regularisation_keeps_the_prior_head(monkeypatch):
    from core.probe import crossval

    x, y = blobs(seed=5)
    prior = torch.randn(40, 4, dtype=torch.float64)
    monkeypatch.setattr(crossval, "STRENGTHS", (1e-6,))
    kept = solve_head(torch.from_numpy(x), y, 4, prior=prior, balance=False)
    assert kept.strength == 1e-6
    assert torch.allclose(kept.weight.double(), prior, atol=1e-3)
    free = solve_head(torch.from_numpy(x), y, 4, balance=False)
    assert not torch.allclose(free.weight.double(), prior, atol=0.1)


def test_solve_head_reports_how_it_chose():
    x, y = blobs(n_per_class=8)
    result = solve_head(torch.from_numpy(x), y, 4)
    assert result.how == "5-fold cross-validation" and result.estimate is not None
    one_each = solve_head(torch.from_numpy(x[::8]), y[::8], 4)
    assert one_each.estimate is None and one_each.how.startswith("none")
    w = balanced_weights(np.array([0, 0, 0, 1]), 2)
    assert np.allclose([w[0] * 3, w[3]], [2.0, 2.0])


def test_column_sets_are_judged_alike_and_the_best_is_kept():
    # 8 informative columns among 400 of noise: the narrow set cross-validates better
    x, y = blobs(n_per_class=8, classes=4, dims=408, informative=8, spread=1.0, seed=4)
    xt = torch.from_numpy(x)
    sets = {"all": torch.arange(408), "few": torch.arange(8), "noise": torch.arange(8, 408)}
    r = solve_head(xt, y, 4, column_sets=sets, seed=0)
    assert r.features == "few"
    assert set(r.feature_scores) == {"all", "few", "noise"}
    assert r.feature_scores["few"] > r.feature_scores["noise"]
    assert r.weight.shape == (408, 4)
    assert torch.count_nonzero(r.weight[8:]) == 0  # the other columns are left out, the shape kept
    alone = solve_head(xt[:, :8], y, 4, seed=0)
    assert alone.estimate == r.estimate and torch.allclose(alone.weight, r.weight[:8])


def test_where_nothing_can_be_validated_the_named_columns_are_used():
    x, y = blobs(n_per_class=1, classes=4, dims=60, informative=5, seed=6)  # one example a class
    sets = {"all": torch.arange(60), "few": torch.arange(5)}
    r = solve_head(torch.from_numpy(x), y, 4, column_sets=sets, unvalidated=("few", sets["few"]))
    assert r.features == "few" and r.estimate is None and r.how.startswith("none")
    assert torch.count_nonzero(r.weight[5:]) == 0 and torch.count_nonzero(r.weight[:5]) > 0
    validated = solve_head(*map(torch.from_numpy, blobs(n_per_class=6, classes=4, dims=60, seed=6)[:1]),
                           blobs(n_per_class=6, classes=4, dims=60, seed=6)[1], 4, column_sets=sets,
                           unvalidated=("few", sets["few"]))
    assert set(validated.feature_scores) == {"all", "few"}  # with folds to judge by, both are judged


def test_large_data_is_judged_on_the_validation_split_and_refit_on_everything():
    from core.probe.solve import CHOICE_PER_CLASS, LARGE

    x, y = blobs(n_per_class=LARGE + 20, classes=3, dims=60, informative=4, spread=1.5, seed=7)
    holdout = np.zeros(len(y), bool)
    holdout[np.arange(len(y)) % 5 == 0] = True
    sets = {"few": torch.arange(4), "noise": torch.arange(4, 60)}
    r = solve_head(torch.from_numpy(x).float(), y, 3, holdout=holdout, column_sets=sets)
    assert r.how == "the validation split" and r.features == "few"
    assert str(CHOICE_PER_CLASS) in r.compared  # the sets were compared on a subsample, and it says so
    assert r.feature_scores["few"] > r.feature_scores["noise"]
    # the estimate is the chosen model's accuracy on the validation rows, from a model without them
    assert np.isnan(r.held_out[~holdout]).all() and not np.isnan(r.held_out[holdout]).any()
    assert r.estimate == pytest.approx(float((r.held_out[holdout].argmax(1) == y[holdout]).mean()))
    # the final head is the solution on every row, as scikit-learn finds it
    sklearn = pytest.importorskip("sklearn.linear_model")
    ref = sklearn.LogisticRegression(C=r.strength, max_iter=5000).fit(x[:, :4], y)
    ours = (x[:, :4] @ r.weight[:4].double().numpy() + r.bias.double().numpy()).argmax(1)
    assert (ours == ref.predict(x[:, :4])).mean() > 0.99


def test_large_data_is_refit_in_the_picked_rows_span_only_where_it_holds_the_rows_and_loses_nothing():
    from core.probe import solve as probe_solve

    n = 2 * (probe_solve.LARGE + 20)  # a class: half to fit on, half new rows seen by no model
    rng = np.random.default_rng(10)
    y = np.repeat(np.arange(3), n)
    latent = rng.normal(0, 1, (len(y), 20))
    latent[:, :3] += 1.2 * np.eye(3)[y]
    structured = latent @ rng.normal(0, 1, (20, 600)) + rng.normal(0, 0.05, (len(y), 600))  # as embeddings are
    isotropic, _ = blobs(n_per_class=n, classes=3, dims=600, informative=8, spread=2.0, seed=9)
    half = np.arange(len(y)) % 2 == 0
    holdout = (np.arange(len(y)) % 10 == 0)[half]
    for x, spanned in ((structured, True), (isotropic, False)):
        x = (x - x.mean(0)) / x.std(0)
        r = probe_solve.solve_head(torch.from_numpy(x[half]).float(), y[half], 3, holdout=holdout)
        assert (r.solved_in is not None) == spanned  # 300 picked rows span 300 of 600 columns
        w = torch.from_numpy(probe_solve.balanced_weights(y[half], 3))
        columns = fit(torch.from_numpy(x[half]).float(), torch.from_numpy(y[half]), 3, r.strength, w, tol=1e-4)
        new = torch.from_numpy(x[~half]).float()
        acc = lambda weight, bias: float(((new @ weight + bias).argmax(1).numpy() == y[~half]).mean())  # noqa: E731
        assert acc(r.weight, r.bias) >= acc(columns.weight, columns.bias) - 0.02


def test_the_float32_span_keeps_every_row_and_is_orthonormal():
    x, _ = blobs(n_per_class=10, classes=3, dims=300, seed=8)  # 30 rows in 300 dimensions
    xt = torch.from_numpy(x).float()
    red = reduce(xt, keep_dtype=True)
    assert red.z.dtype == torch.float32 and red.z.shape == (30, 30)
    assert torch.allclose(red.basis.T @ red.basis, torch.eye(30), atol=1e-4)
    assert torch.allclose(red.z @ red.basis.T, xt, atol=1e-4)  # nothing of the rows is lost
