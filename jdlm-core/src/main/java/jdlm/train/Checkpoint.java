package jdlm.train;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;

import jdlm.format.FormatException;
import jdlm.format.Json;
import jdlm.format.safetensors.DType;
import jdlm.format.safetensors.SafetensorsFile;
import jdlm.format.safetensors.SafetensorsWriter;
import jdlm.model.ModelConfig;
import jdlm.model.ParameterLayout;

/**
 * Everything needed to use or resume a model, in ONE safetensors file (so one atomic rename
 * makes it durable): the weights under their layout names; optionally the AdamW moments and EMA
 * weights as flat tensors; and as metadata the model config, the tokenizer spec, the training
 * state (options, completed steps) — JSON strings.
 *
 * @param tokenizer     the tokenizer spec as JSON (opaque here)
 * @param training      training state as JSON (opaque here; null for a weights-only file)
 * @param adamM         AdamW first moments, or null
 * @param adamV         AdamW second moments, or null
 * @param ema           EMA weights, or null
 */
public record Checkpoint(ModelConfig config, float[] parameters, String tokenizer, String training,
                         float[] adamM, float[] adamV, float[] ema) {

    static final String FORMAT = "jdlm-checkpoint-1";

    /** The checkpoint's file name in a run directory. */
    public static final String FILE_NAME = "checkpoint.safetensors";

    /** Writes to a temporary file beside {@code file} and renames it into place. */
    public void save(Path file, DType weightType) throws IOException {
        ParameterLayout layout = new ParameterLayout(config);
        SafetensorsWriter w = new SafetensorsWriter();
        for (ParameterLayout.View v : layout.views().values()) {
            long[] shape = new long[v.shape().length];
            for (int i = 0; i < shape.length; i++) shape[i] = v.shape()[i];
            w.add(v.name(), weightType, shape, parameters, v.offset());
        }
        long[] flat = {parameters.length};
        if (adamM != null) w.add("optimizer.adam_m", DType.F32, flat, adamM, 0);
        if (adamV != null) w.add("optimizer.adam_v", DType.F32, flat, adamV, 0);
        if (ema != null) w.add("ema", DType.F32, flat, ema, 0);
        w.metadata("format", FORMAT);
        w.metadata("jdlm.config", Json.write(config.toMap()));
        if (tokenizer != null) w.metadata("jdlm.tokenizer", tokenizer);
        if (training != null) w.metadata("jdlm.training", training);
        w.write(file);
    }

    /** Reads a checkpoint, checking every tensor against the config it declares. */
    public static Checkpoint load(Path file) {
        try (SafetensorsFile f = SafetensorsFile.open(file)) {
            Map<String, String> meta = f.metadata();
            if (!FORMAT.equals(meta.get("format"))) {
                throw new FormatException(file, "__metadata__.format", FORMAT + " (a jdlm checkpoint)", String.valueOf(meta.get("format")));
            }
            ModelConfig config;
            try {
                config = ModelConfig.fromMap(Json.parseObject(meta.getOrDefault("jdlm.config", ""), 1 << 16));
            } catch (RuntimeException e) {
                throw new FormatException(file, "__metadata__.jdlm.config is not a valid model config: " + e.getMessage(), e);
            }
            ParameterLayout layout = new ParameterLayout(config);
            float[] params = new float[layout.size()];
            for (ParameterLayout.View v : layout.views().values()) {
                SafetensorsFile.TensorInfo t = f.tensor(v.name());
                long[] want = new long[v.shape().length];
                for (int i = 0; i < want.length; i++) want[i] = v.shape()[i];
                if (!java.util.Arrays.equals(want, t.shape())) {
                    throw new FormatException(file, v.name() + ".shape", java.util.Arrays.toString(want), java.util.Arrays.toString(t.shape()));
                }
                f.readFloats(v.name(), params, v.offset());
            }
            return new Checkpoint(config, params, meta.get("jdlm.tokenizer"), meta.get("jdlm.training"),
                    flat(f, "optimizer.adam_m", params.length), flat(f, "optimizer.adam_v", params.length), flat(f, "ema", params.length));
        }
    }

    private static float[] flat(SafetensorsFile f, String name, int size) {
        if (!f.tensors().containsKey(name)) return null;
        SafetensorsFile.TensorInfo t = f.tensor(name);
        if (t.elements() != size) throw new FormatException(f.path(), name + ".shape", "[" + size + "]", java.util.Arrays.toString(t.shape()));
        return f.readFloats(name);
    }
}
