package jdlm.model.interop;

import java.util.OptionalInt;

import jdlm.model.ModelConfig;
import jdlm.model.Transformer;

/**
 * A model loaded from another runtime's files: an inference-only {@link Transformer} over the
 * file's weights, the architecture it came as ({@code llada}, {@code dream} or {@code llama}) and
 * its mask token when the file names one. Closing it unmaps the files it opened (a model imported
 * from GGUF maps stays valid as long as the caller keeps its GGUF file open).
 */
public final class ImportedModel implements AutoCloseable {
    private final Transformer transformer;
    private final String architecture;
    private final OptionalInt maskTokenId;
    private final SafetensorsShards files;   // null when the caller owns the mapping

    ImportedModel(Transformer transformer, String architecture, Integer maskTokenId, SafetensorsShards files) {
        this.transformer = transformer;
        this.architecture = architecture;
        this.maskTokenId = maskTokenId == null ? OptionalInt.empty() : OptionalInt.of(maskTokenId);
        this.files = files;
    }

    public Transformer transformer() { return transformer; }

    public ModelConfig config() { return transformer.config(); }

    /** {@code llada}, {@code dream} or {@code llama}. */
    public String architecture() { return architecture; }

    /** The id of the MASK token, when the checkpoint declares one. */
    public OptionalInt maskTokenId() { return maskTokenId; }

    /** Unmaps the files (the transformer must not be used afterwards). */
    @Override
    public void close() {
        if (files != null) files.close();
    }
}
