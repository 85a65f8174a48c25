"""The optimizers that use more than the gradient's direction: Newton's method (the Hessian),
conjugate gradient (a line search along conjugate directions) and L-BFGS (curvature learned
from the last steps), in the lesson's style: each an update of a few lines, its state plain
values in a dict, under `torch.no_grad()` (the caller holds it). Registered, with their
limits, in sgd_lib.lesson.optimizers. This module imports no torch."""

import math


# --8<-- [start:newton]
def newton(a, state, lr, batch):
    H = batch.hessian(a)  # the line's: (2/B) x_bᵀ x_b, the same at every `a`
    # H⁻¹ ∇, the step to the batch's minimum, by Cramer's rule for a 2×2 H. A batch whose
    # points share one x has det H = 0 and no minimum: its step is infinite, and the run has
    # diverged at that update, as with a nearly singular H (the sandbox's twin does the same).
    g0, g1 = a.grad[..., 0], a.grad[..., 1]
    step = a.grad.clone()
    step[..., 0] = H[..., 1, 1] * g0 - H[..., 0, 1] * g1
    step[..., 1] = H[..., 0, 0] * g1 - H[..., 1, 0] * g0
    det = H[..., 0, 0] * H[..., 1, 1] - H[..., 0, 1] * H[..., 1, 0]
    a.sub_(lr * step / det.unsqueeze(-1))


# --8<-- [end:newton]


# --8<-- [start:cg]
def _dot(u, w):
    """u·w over the last axis, kept as an axis: shape (1,) for one run, (S, 1) for many."""
    return (u * w).sum(-1, keepdim=True)


def cg(a, state, lr, batch):
    g = a.grad.clone()
    k = state["k"] = state.get("k", 0) + 1
    d = -g  # downhill, afresh every len(a) updates: a 2-D quadratic needs 2
    if k % a.shape[-1] != 1:  # Fletcher-Reeves: the new direction is conjugate to the last
        d = d + _dot(g, g) / _dot(state["g"], state["g"]) * state["d"]
    # Exact line search on the quadratic: its curvature along d is d·H d, and H d is the
    # change in the gradient one step of d away (one more gradient evaluation). On a loss
    # that is not quadratic (the cross-entropy) this is one secant step along d.
    Hd = batch.gradient(a + d) - g
    curvature, gd = _dot(d, Hd), _dot(g, d)
    # The step lowers the loss by (g·d)²/(2 d·Hd). Once that is below what the loss's own
    # rounding can resolve, g and Hd are rounding noise and a step would only drift (float32
    # on x moved 100 off 0 drifted away from the answer): no step.
    useful = (curvature > 0) & (gd**2 > 2 * curvature * _resolution(a, batch))
    alpha = -gd / curvature.where(useful, math.inf)
    a.add_(lr * alpha * d)
    state["d"], state["g"] = d, g


def _resolution(a, batch):
    """The smallest change the batch's loss at `a` can show: its float's epsilon times it."""
    loss = batch.value(a)
    return loss * 2.0 ** -(23 if a.element_size() == 4 else 52)  # float32 or float64


# --8<-- [end:cg]


# --8<-- [start:lbfgs]
# torch.optim.LBFGS's defaults, which the oracle uses too
LBFGS_TOLERANCE_GRAD = 1e-7
LBFGS_TOLERANCE_CHANGE = 1e-9


def _dot2(u, w):
    """u·w for two 2-vectors of plain floats."""
    return u[0] * w[0] + u[1] * w[1]


def lbfgs(a, state, lr, batch, history):
    # An update that left `a` where it was is repeated by every later one at a rate no higher
    # (the full batch gives the same gradient, so no new pair and the same direction, and a
    # shorter step moves `a` no more): it is skipped, not redone. At lr 0.01 in float32 the
    # steps fall below a's rounding after ~1300 updates, and a 100,000-update run used to walk
    # its ~1000 pairs for nothing on each of the rest, for an hour.
    if lr <= state.get("still_up_to", -math.inf):
        return
    # The vectors are 2-vectors: plain floats (float64), as a 0-d tensor's every operation
    # costs microseconds and the loops make ten per remembered pair. (torch.optim.LBFGS, for
    # any number of parameters, uses tensors: in float32 the two differ in the last bits.)
    g = a.grad.tolist()
    if max(abs(g[0]), abs(g[1])) <= LBFGS_TOLERANCE_GRAD:  # there: torch.optim.LBFGS stops
        return
    s_list, y_list = state.setdefault("s", []), state.setdefault("y", [])
    if "d" not in state:
        d = [-g[0], -g[1]]
        state["H_diag"] = 1.0
    else:  # remember the last step s and how the gradient changed along it, y
        y = [g[0] - state["g"][0], g[1] - state["g"][1]]
        s = [state["d"][0] * state["t"], state["d"][1] * state["t"]]
        ys = _dot2(y, s)
        if ys > 1e-10:  # only a pair with positive curvature keeps H⁻¹ positive definite
            if len(s_list) == history:
                s_list.pop(0), y_list.pop(0)
            s_list.append(s), y_list.append(y)
            state["H_diag"] = ys / _dot2(y, y)
        # The two-loop recursion: d = -H⁻¹ g, with H⁻¹ built from the remembered pairs.
        q, alphas = [-g[0], -g[1]], []
        for s_i, y_i in zip(reversed(s_list), reversed(y_list), strict=True):
            alphas.append(_dot2(s_i, q) / _dot2(y_i, s_i))
            q = [q[0] - alphas[-1] * y_i[0], q[1] - alphas[-1] * y_i[1]]
        d = [q[0] * state["H_diag"], q[1] * state["H_diag"]]
        for s_i, y_i, alpha_i in zip(s_list, y_list, reversed(alphas), strict=True):
            beta_i = _dot2(y_i, d) / _dot2(y_i, s_i)
            d = [d[0] + (alpha_i - beta_i) * s_i[0], d[1] + (alpha_i - beta_i) * s_i[1]]
    # The first step is kept short (torch.optim.LBFGS's rule): the gradient has no scale yet.
    t = min(1.0, 1.0 / (abs(g[0]) + abs(g[1]))) * lr if "d" not in state else lr
    state["d"], state["t"], state["g"] = d, t, g
    if _dot2(g, d) > -LBFGS_TOLERANCE_CHANGE:  # not downhill (any more): no step at any rate
        state["still_up_to"] = math.inf
        return
    before = a.clone()
    a.add_(a.new_tensor([t * d[0], t * d[1]]))
    if a.equal(before):  # a step too short for a's floats to show
        state["still_up_to"] = t


# --8<-- [end:lbfgs]
