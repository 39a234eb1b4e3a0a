"""Multinomial logistic regression solved to convergence with L-BFGS.

The objective, the same as scikit-learn's ``LogisticRegression(C=C)`` with sample weights
(multinomial, intercept not penalised), divided by the total weight for conditioning:

    ( sum_i w_i * cross_entropy(x_i W + b, y_i) + ||W - W0||^2 / (2 C) ) / sum_i w_i

``W0`` (the prior) is zero, or a head carried over from an earlier run (L2-SP).

Written here rather than taken from scikit-learn because model choice solves the same problem many
times (folds x strengths) on few samples in many dimensions, where two things make it fast: the
solution lies in the span of the training rows (so features are first reduced to that span, an
exact change of variables: ``reduce``), and consecutive strengths start from each other's solution.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Solution:
    weight: torch.Tensor  # [D, K]
    bias: torch.Tensor  # [K]
    iterations: int
    converged: bool


class Reduced:
    """Rows expressed in an orthonormal basis of their span: ``z = x @ basis`` (``basis`` [D, r]).
    Weights found for ``z`` map back with ``basis @ a`` (``to_columns``); nothing is lost, since
    with an L2 penalty the best weights never leave the span of the rows they were fit on.

    From the Gram matrix's eigenvectors ``u`` and values ``lam``: ``basis = x.T @ u / sqrt(lam)``
    and ``z = u * sqrt(lam)``, so ``z`` costs no product with ``x``, and ``basis`` (D x r, a
    product as large as the Gram matrix) is formed only where it is asked for; ``to_columns``
    maps weights back through ``x`` without it."""

    def __init__(self, z: torch.Tensor, basis: torch.Tensor | None = None, *, rows: torch.Tensor | None = None,
                 coef: torch.Tensor | None = None):
        self.z = z
        self._basis, self._rows, self._coef = basis, rows, coef  # rows, coef: basis = rows.T @ coef

    @property
    def basis(self) -> torch.Tensor | None:
        """None: not reduced (as many rows as dimensions, or more)."""
        if self._basis is None and self._rows is not None:
            self._basis = self._rows.T @ self._coef
            self._rows = self._coef = None
        return self._basis

    @property
    def reduced(self) -> bool:
        return self._basis is not None or self._rows is not None

    def to_columns(self, a: torch.Tensor) -> torch.Tensor:
        """Weights ``a`` [r, K] of the reduced rows as weights [D, K] of the columns."""
        if self._rows is not None:
            return self._rows.T @ (self._coef @ a.to(self._coef.dtype))
        return a if self._basis is None else self._basis @ a


def reduce(x: torch.Tensor, keep_dtype: bool = False) -> Reduced:
    """``keep_dtype``: reduce in x's own precision (float32 for large data), else in float64.

    Through the rows' Gram matrix (an eigendecomposition of N x N): 0.6 s for 1,000 x 6,640 against
    2 s for an SVD of the rows (2,000 rows: 4 s against 20), and no float64 copy of float32 rows
    (100 MB more at the peak of a large probe). Half of a retrain after a label edit (1,000 pictures of
    10 classes, the pair) was the SVD. Directions of the rows weaker than 1e-5 of the strongest (in
    float64; 1e-3 in float32) are left out: below what the Gram matrix resolves, and far below what
    an L2-penalised head could use."""
    n, d = x.shape
    if 2 * n > d:
        return Reduced(x, None)  # float32 stays float32 (large data)
    if not keep_dtype:
        x = x.to(torch.float64)
    lam, u = torch.linalg.eigh((x @ x.T).to(torch.float64))
    keep = lam > lam[-1] * (1e-6 if x.dtype == torch.float32 else 1e-10) if len(lam) else lam.bool()
    u, root = u[:, keep], lam[keep].sqrt()
    coef = (u / root).to(x.dtype)
    if x.dtype == torch.float32:  # large data: other rows are projected by the basis (solve._choose_on_holdout),
        basis = x.T @ coef  # so these are too; in float32 u sqrt(lam) differs from x @ basis by up to 1.6%
        return Reduced(x @ basis, basis)
    return Reduced((u * root), rows=x, coef=coef)


def fit(x: torch.Tensor, y: torch.Tensor, classes: int, strength: float, sample_weight: torch.Tensor | None = None,
        *, offset: torch.Tensor | None = None, start: Solution | None = None,
        max_iter: int = 500, tol: float = 1e-5, precondition: bool = False) -> Solution:
    """One problem on rows ``x`` [N, D] (float64), labels ``y`` [N]. ``offset`` [N, K] is added to
    the logits (the prior's contribution ``x @ W0``: then the weights found are ``W - W0``).
    ``start`` warm-starts L-BFGS. Stops when the largest entry of the gradient in W and b is below
    ``tol``. Solved in float32 where ``x`` is float32 (large data: half the time and memory), else
    in float64.

    ``precondition``: L-BFGS works on ``W / scale`` and ``b / scale``, a diagonal preconditioner
    (the same problem, the same optimum): each entry's scale is one over the square root of the
    Hessian's diagonal at the start, ``(sum_i w_i p_ik (1 - p_ik) x_ij^2 + 1 / C) / sum_i w_i``.
    For rows reduced to their span (``reduce``), whose columns are orthogonal with energies
    differing by orders of magnitude, that diagonal is most of the Hessian: a retrain of 1,000
    pictures of 10 classes took 45 and 19 iterations to the same tolerance instead of 163 and 174.
    Not for raw columns, which are correlated: there it took up to 1.5 times as many
    (bench/bench_train.py, README "Performance"). Not used by the unlabelled samples' fits
    (core.probe.semi, adapt) either: tried there, it saved little (faces 5.8 -> 5.2 s; spoken words,
    beside another run, 27 -> 35 s) and moved the folds' scores of candidates whose capped fits stop elsewhere.
    """
    dt = torch.float32 if x.dtype == torch.float32 else torch.float64
    x = x.to(dt)
    n, d = x.shape
    w_rows = torch.ones(n, dtype=dt) if sample_weight is None else sample_weight.to(dt)
    total = float(w_rows.sum())
    target = y.long()
    inv_c = 1.0 / float(strength)
    offset = None if offset is None else offset.to(dt)
    w0 = torch.zeros(d, classes, dtype=dt) if start is None else start.weight.to(dt)
    b0 = torch.zeros(classes, dtype=dt) if start is None else start.bias.to(dt)
    if precondition:  # the Hessian's diagonal at the start
        with torch.no_grad():
            p = torch.softmax(x @ w0 + b0 if offset is None else x @ w0 + b0 + offset, -1)
            spread = w_rows[:, None] * p * (1 - p)  # [N, K]
            del p
        scale = ((_column_energy(x, spread) + inv_c) / total).rsqrt()  # [D, K]
        # the intercept is not penalised: where a saturated start leaves it no curvature, its scale
        # is held at 10 (a review found 1e6, and the line search stopping 2% above the optimum)
        bias_scale = (spread.sum(0) / total).clamp_min(1e-2).rsqrt()  # [K]
        v, c = w0 / scale, b0 / bias_scale
    else:
        scale = bias_scale = None
        v, c = w0.clone(), b0.clone()
    v.requires_grad_(True)
    c.requires_grad_(True)

    def weights():  # W and b from the variables L-BFGS moves
        return (v, c) if scale is None else (v * scale, c * bias_scale)

    def objective():
        w, b = weights()
        logits = x @ w + b
        if offset is not None:
            logits = logits + offset
        ce = torch.nn.functional.cross_entropy(logits, target, reduction="none")
        return ((ce * w_rows).sum() + 0.5 * inv_c * w.pow(2).sum()) / total

    # the stopping test reads the gradient in W and b (the variables' gradient divided by their scale)
    grad_scale = None if scale is None else torch.cat([scale.reshape(-1), bias_scale])
    iterations = lbfgs(objective, [v, c], max_iter=max_iter, tolerance_grad=tol, grad_scale=grad_scale)
    with torch.no_grad():
        w, b = weights()
    return Solution(w.detach(), b.detach(), iterations, iterations < max_iter)


def _column_energy(x: torch.Tensor, spread: torch.Tensor) -> torch.Tensor:
    """[D, K]: sum_i spread_ik x_ij^2, 1,024 rows at a time (no squared copy of a large ``x``)."""
    energy = torch.zeros(x.shape[1], spread.shape[1], dtype=x.dtype)
    for start in range(0, x.shape[0], 1024):
        rows = x[start:start + 1024]
        energy += (rows * rows).T @ spread[start:start + 1024]
    return energy


def lbfgs(objective, params: list[torch.Tensor], *, max_iter: int, tolerance_grad: float,
          tolerance_change: float = 1e-10, history_size: int = 10, grad_scale: torch.Tensor | None = None) -> int:
    """Minimise ``objective()`` over ``params`` (tensors requiring grad, changed in place) by
    L-BFGS with a strong-Wolfe line search: the very steps of one ``torch.optim.LBFGS(params,
    lr=1, line_search_fn="strong_wolfe").step``, and its line search, without the optimizer
    object. Creating any torch optimizer imports TorchDynamo on first use (``add_param_group`` is
    wrapped by ``torch._disable_dynamo``), with SymPy and Triton: 886 modules and 136 MB more
    memory, a seventh of a 5,000-picture probe's peak, for nothing a probe uses. Returns the
    number of iterations."""
    from torch.optim.lbfgs import _strong_wolfe

    max_eval = max_iter * 5 // 4

    def flat_grad() -> torch.Tensor:
        return torch.cat([p.grad.reshape(-1) if p.grad is not None else p.new_zeros(p.numel()) for p in params])

    def evaluate() -> float:
        for p in params:
            p.grad = None
        with torch.enable_grad():
            loss = objective()
            loss.backward()
        return float(loss)

    def add(step: float, direction: torch.Tensor) -> None:
        offset = 0
        for p in params:
            p.add_(direction[offset:offset + p.numel()].view_as(p), alpha=step)
            offset += p.numel()

    def directional(x0, step, direction):  # the line search's probe: f and grad at x0 + step * direction
        add(step, direction)
        loss = evaluate()
        grad = flat_grad()
        for p, value in zip(params, x0):
            p.copy_(value)
        return loss, grad

    with torch.no_grad():
        loss = evaluate()
        grad = flat_grad()
        evals = 1
        def small(g) -> bool:
            return bool((g.abs() if grad_scale is None else (g / grad_scale).abs()).max() <= tolerance_grad)

        if small(grad):
            return 0
        old_dirs, old_stps, ro, al = [], [], [], [None] * history_size
        h_diag, d, t, prev_grad = 1.0, None, 1.0, None
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            if n_iter == 1:
                d = grad.neg()
            else:
                y = grad.sub(prev_grad)
                s = d.mul(t)
                ys = y.dot(s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0), old_stps.pop(0), ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / y.dot(y)
                q = grad.neg()
                for i in range(len(old_dirs) - 1, -1, -1):
                    al[i] = old_stps[i].dot(q) * ro[i]
                    q.add_(old_dirs[i], alpha=-al[i])
                d = r = torch.mul(q, h_diag)
                for i in range(len(old_dirs)):
                    be_i = old_dirs[i].dot(r) * ro[i]
                    r.add_(old_stps[i], alpha=al[i] - be_i)
            prev_grad = grad.clone() if prev_grad is None else prev_grad.copy_(grad)
            prev_loss = loss
            t = min(1.0, 1.0 / grad.abs().sum()) if n_iter == 1 else 1.0
            gtd = grad.dot(d)
            if gtd > -tolerance_change:
                break
            x0 = [p.clone(memory_format=torch.contiguous_format) for p in params]
            loss, grad, t, ls_evals = _strong_wolfe(directional, x0, t, d, loss, grad, gtd,
                                                    max_ls=max_eval - evals)
            add(t, d)
            evals += ls_evals
            if n_iter == max_iter or evals >= max_eval or small(grad):
                break
            if d.mul(t).abs().max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                break
    return n_iter


def predict_proba(x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
    """[N, K] probabilities (``weight`` [D, K], ``bias`` [K])."""
    return torch.softmax(x.to(weight.dtype) @ weight + bias, dim=-1)
