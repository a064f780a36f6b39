package ai.sara4j.djl.train;

import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.sara4j.djl.engine.TorchScriptModule;
import java.util.Collection;
import java.util.List;

/**
 * The gradients' global norm and the AdamW update over all trainable tensors at once, each one TorchScript call of
 * ATen's multi-tensor kernels ({@code _foreach_norm}, {@code _fused_adamw_}: those of {@code clip_grad_norm_} and
 * {@code torch.optim.AdamW(fused=True)}). Done tensor by tensor from Java they cost 4 and 13 engine calls per tensor,
 * which on adapters' small tensors weigh more than the arithmetic. (Scaling and zeroing gradients are one engine
 * call per tensor anyway, and measured faster that way than through a TorchScript call: see {@link
 * GradientClipping}.)
 *
 * <p>The functions take the parameters and read their gradients inside TorchScript ({@code p.grad}). A parameter
 * without a gradient (never reached by a backward pass) counts as a zero gradient, as DJL's {@code getGradient()}
 * gives it. They run on the parameters' device; the step counter of {@code _fused_adamw_} is made there too.
 */
final class FusedUpdates {
    private static final String NAME = "FusedUpdates";
    /**
     * Serialized TorchScript, as {@code torch.jit.script(...).code} prints it (dtype 6 = float32, 7 = float64),
     * except {@code AutogradAnyNonZero(g)}: torch prints that call without its argument. It is TorchScript's test
     * that a tensor is defined ({@code p.grad is None} is folded away, {@code prim::grad} being typed Tensor).
     */
    private static final String CODE = """
              def gradients(self: __torch__.FusedUpdates, params: List[Tensor]) -> List[Tensor]:
                grads = annotate(List[Tensor], [])
                for _0 in range(torch.len(params)):
                  p = params[_0]
                  g = ops.prim.grad(p)
                  if ops.prim.AutogradAnyNonZero(g):
                    _1 = g
                  else:
                    _1 = torch.zeros_like(p)
                  _2 = torch.append(grads, _1)
                return grads
              def norm(self: __torch__.FusedUpdates, params: List[Tensor]) -> float:
                norms = torch._foreach_norm((self).gradients(params, ), 2., 7)
                return float(torch.linalg_vector_norm(torch.stack(norms)))
              def adamw(self: __torch__.FusedUpdates, params: List[Tensor], exp_avg: List[Tensor], \
            exp_avg_sq: List[Tensor], step: float, lr: float, beta1: float, beta2: float, eps: float, \
            weight_decay: float) -> NoneType:
                _0 = torch.full([1], step, dtype=6, layout=None, device=ops.prim.device(params[0]))
                steps = torch.mul([_0], torch.len(params))
                torch._fused_adamw_(params, (self).gradients(params, ), exp_avg, exp_avg_sq, \
            annotate(List[Tensor], []), steps, lr=lr, beta1=beta1, beta2=beta2, weight_decay=weight_decay, eps=eps, \
            amsgrad=False, maximize=False)
                return None
            """;

    private FusedUpdates() {}

    private static TorchScriptModule module() {
        return TorchScriptModule.shared(NAME, CODE);
    }

    private static List<NDArray> arrays(Collection<Parameter> parameters) {
        return parameters.stream().map(Parameter::getArray).toList();
    }

    /** The L2 norm of all gradients together, computed in float64 (0 for no parameters). */
    static double gradientNorm(Collection<Parameter> parameters) {
        return parameters.isEmpty() ? 0 : module().runForDouble("norm", arrays(parameters));
    }

    /**
     * torch's fused AdamW update t of {@code parameters} (one dtype and device) with their moments, in place. The
     * moment lists are in the order of the parameters.
     */
    static void adamW(List<Parameter> parameters, List<NDArray> expAvg, List<NDArray> expAvgSq, long t, double lr,
            double beta1, double beta2, double eps, double weightDecay) {
        module().runInPlace("adamw", arrays(parameters), expAvg, expAvgSq, (double) t, lr, beta1, beta2, eps,
                weightDecay);
    }
}
