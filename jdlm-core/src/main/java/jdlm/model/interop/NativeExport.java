package jdlm.model.interop;

import java.util.ArrayList;
import java.util.List;

import jdlm.model.ModelConfig;
import jdlm.model.ParameterLayout;
import jdlm.model.TensorRole;
import jdlm.model.Transformer;
import jdlm.tensor.Rope;

/** The tensors of a native (flat-buffer) model by role, with q/k rows in the rotary layout a target format expects. */
final class NativeExport {
    private NativeExport() {}

    /** One tensor of the model, in file order. */
    record Entry(TensorRole role, int layer, ExportTensor tensor) {}

    static List<Entry> tensors(Transformer model, Rope.Style target, String format) {
        if (!model.hasFlatParameters()) {
            throw new IllegalArgumentException("only a native jdlm model (flat parameters) can be exported to " + format + "; this one runs imported weights");
        }
        ModelConfig c = model.config();
        ParameterLayout layout = model.layout();
        float[] p = model.parameters();
        List<Entry> out = new ArrayList<>();
        add(out, c, layout, p, TensorRole.TOKEN_EMBEDDING, 0, target);
        for (int l = 0; l < c.layers(); l++) {
            for (TensorRole r : TensorRole.values()) if (r.perLayer()) add(out, c, layout, p, r, l, target);
        }
        add(out, c, layout, p, TensorRole.OUTPUT_NORM, 0, target);
        add(out, c, layout, p, TensorRole.OUTPUT, 0, target);
        return out;
    }

    private static void add(List<Entry> out, ModelConfig c, ParameterLayout layout, float[] p, TensorRole role, int layer, Rope.Style target) {
        if (!role.presentIn(c)) return;
        ParameterLayout.View v = layout.view(role.name(layer));
        int heads = switch (role) {
            case ATTN_Q, ATTN_Q_BIAS -> c.heads();
            case ATTN_K, ATTN_K_BIAS -> c.kvHeads();
            default -> 0;
        };
        long[] shape = role.shape(c);
        ExportTensor t = heads > 0 && c.ropeStyle() != target
                ? new ExportTensor(v.name(), shape, RotaryLayout.convert(p, v.offset(), heads, c.headDim(), v.cols(), c.ropeStyle()), 0)
                : new ExportTensor(v.name(), shape, p, v.offset());
        out.add(new Entry(role, layer, t));
    }
}
