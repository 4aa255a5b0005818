package jdlm.app;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

import jdlm.noise.NoiseSchedule;
import jdlm.sample.AncestralPolicy;
import jdlm.sample.BlockCache;
import jdlm.sample.ConfidencePolicy;
import jdlm.sample.EntropyBoundPolicy;
import jdlm.sample.EntropyPolicy;
import jdlm.sample.FactorPolicy;
import jdlm.sample.MarginPolicy;
import jdlm.sample.RandomPolicy;
import jdlm.sample.SamplerOptions;
import jdlm.sample.ThresholdPolicy;
import jdlm.sample.TokenChooser;
import jdlm.sample.UnmaskingPolicy;
import picocli.CommandLine.Option;

/**
 * The sampler options {@code generate} and {@code infill} share (DESIGN.md §5), turned into
 * {@link SamplerOptions}. The sampler validates the numbers and names the option in its message;
 * what is checked here is only what it cannot see (an option given for a policy that ignores it).
 */
final class SamplingOptions {
    static final String POLICIES = "confidence, margin, entropy, random, ancestral, threshold, factor, eb";

    @Option(names = "--length", defaultValue = "128", paramLabel = "N", description = "Tokens to generate (default: ${DEFAULT-VALUE}).")
    int length;
    @Option(names = "--steps", paramLabel = "K", description = "Denoising steps over all blocks (default: --length, one token per step).")
    Integer steps;
    @Option(names = "--block", paramLabel = "B", description = "Block length: blocks are decoded left to right (default: --length, one block, or the model's " + SuggestedSampling.FILE + ").")
    Integer block;
    @Option(names = "--policy", paramLabel = "NAME", description = "Which positions a step commits: " + POLICIES + " (default: confidence, or the model's " + SuggestedSampling.FILE + ").")
    String policy;
    @Option(names = "--threshold", paramLabel = "τ", description = "threshold policy: commit every position with confidence ≥ τ, τ in (0, 1] (default: 0.9).")
    Double threshold;
    @Option(names = "--factor", paramLabel = "F", description = "factor policy: commit the longest prefix with c(r) ≥ 1 − F/(r+1), F > 0 (default: 1).")
    Double factor;
    @Option(names = "--gamma", paramLabel = "γ", description = "eb policy (EB-Sampler): commit the lowest-entropy positions whose entropies,"
            + " less the largest, sum to at most γ nats, γ ≥ 0 (default: 0.1).")
    Double gamma;
    @Option(names = "--temperature", paramLabel = "T", description = "Gumbel noise on the logits; 0 is greedy (default: 0, or the model's " + SuggestedSampling.FILE + ").")
    Double temperature;
    @Option(names = "--top-k", paramLabel = "K", description = "Keep the K most likely tokens; 0 keeps all (default: 0, or the model's " + SuggestedSampling.FILE + ").")
    Integer topK;
    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus: keep the most likely tokens with mass ≥ P; 1 keeps all (default: 1, or the model's " + SuggestedSampling.FILE + ").")
    Double topP;
    @Option(names = "--cfg", defaultValue = "0", paramLabel = "W", description = "Classifier-free guidance weight w ≥ 0, u + (w+1)(c − u); 0 is off (default: ${DEFAULT-VALUE}).")
    double cfg;
    @Option(names = "--remask", defaultValue = "0", paramLabel = "R", description = "Low-confidence remasking: R committed tokens back to MASK per step; 0 is off (default: ${DEFAULT-VALUE}).")
    int remask;
    @Option(names = "--block-cache", arity = "0..1", fallbackValue = "dual", paramLabel = "dual|prefix",
            description = "Fast-dLLM's KV cache (faster, approximate; use with --block): one full pass per block, then passes over"
                    + " the block only (dual, the default) or over the block and everything after it (prefix), the rest of the"
                    + " canvas's keys and values taken from the full pass. Always on, and exact, for a block-diffusion (bd3) model,"
                    + " unless --cfg is given.")
    String blockCache;
    @Option(names = "--seed", defaultValue = "0", paramLabel = "S", description = "Seed of the token noise and of random policies (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--show-steps", description = "Draw the canvas as it denoises (live on a terminal, a few snapshots otherwise).")
    boolean showSteps;
    @Option(names = "--json", description = "Print one JSON object (text, tokens, steps, forward passes, timing, settings) instead of the text.")
    boolean json;

    /** Settings the model suggests (see {@link #suggest}); options given on the command line win. */
    private SuggestedSampling suggested = SuggestedSampling.NONE;

    /**
     * Takes the model's suggestions for what the command line left unset, the diffusion-only ones
     * (block, policy) only for a masked model, and says which it took.
     */
    void suggest(SuggestedSampling s, boolean causal, java.util.function.Consumer<String> notes) {
        Integer b = s.block();
        // a suggested block that does not fit this --length (and --steps) is left out, not an error
        if (causal || b != null && (length < 1 || length % b != 0 || steps != null && steps % (length / b) != 0)) b = null;
        suggested = new SuggestedSampling(s.file(), b, causal ? null : s.policy(), s.temperature(), s.topK(), s.topP());
        StringBuilder taken = new StringBuilder();
        if (block == null && suggested.block() != null) taken.append(" --block ").append(suggested.block());
        if (policy == null && suggested.policy() != null) taken.append(" --policy ").append(suggested.policy());
        if (temperature == null && suggested.temperature() != null) taken.append(" --temperature ").append(suggested.temperature());
        if (topK == null && suggested.topK() != null) taken.append(" --top-k ").append(suggested.topK());
        if (topP == null && suggested.topP() != null) taken.append(" --top-p ").append(suggested.topP());
        if (!taken.isEmpty()) notes.accept("note: as " + s.file() + " suggests:" + taken + " (options on the command line win)");
    }

    String policyName() {
        String name = policy != null ? policy : suggested.policy() != null ? suggested.policy() : "confidence";
        return name.toLowerCase(Locale.ROOT);
    }

    private double temperature() {
        return temperature != null ? temperature : suggested.temperature() != null ? suggested.temperature() : 0;
    }

    private int topK() {
        return topK != null ? topK : suggested.topK() != null ? suggested.topK() : 0;
    }

    private double topP() {
        return topP != null ? topP : suggested.topP() != null ? suggested.topP() : 1;
    }

    /** Steps a generation plans: a causal model's tokens, else --steps (default --length); EOS may end it sooner. */
    int plannedSteps(boolean causal) {
        return causal || steps == null ? length : steps;
    }

    /** Steps of a uniform-diffusion run: --steps, else --length. */
    int uniformSteps() {
        if (length < 1) throw new IllegalArgumentException("--length must be at least 1, got " + length);
        return steps != null ? steps : length;
    }

    /** Options for a uniform-diffusion model's ancestral sampler: its steps, temperature and seed are all it reads. */
    SamplerOptions uniformOptions() {
        return SamplerOptions.of(uniformSteps(), 0).withTokens(tokens()).withSeed(seed);
    }

    /** The settings a uniform-diffusion run used, for --json. */
    Map<String, Object> uniformSettings() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sampler", "uniform diffusion (ancestral)");
        m.put("length", (long) length);
        m.put("steps", (long) uniformSteps());
        m.put("temperature", temperature());
        m.put("seed", seed);
        return m;
    }

    TokenChooser tokens() {
        return new TokenChooser(temperature(), topK(), topP());
    }

    /**
     * Options for decoding {@code length} masked positions; {@code schedule} drives the ancestral
     * policy. A block-diffusion model ({@code modelBlock} > 0) decodes in its own blocks, and with its
     * exact KV cache unless guidance (which caches nothing) is on.
     */
    SamplerOptions diffusion(NoiseSchedule schedule, int modelBlock) {
        if (length < 1) throw new IllegalArgumentException("--length must be at least 1, got " + length);
        int k = steps != null ? steps : length;
        int b = modelBlock > 0 ? (block != null ? block : 0) : block != null ? block : suggested.block() != null ? suggested.block() : length;
        BlockCache cache = blockCacheKind();
        if (cache == BlockCache.NONE && modelBlock > 0 && cfg == 0) cache = BlockCache.DUAL;
        return SamplerOptions.of(k, b).withTokens(tokens()).withPolicy(unmaskingPolicy(schedule))
                .withGuidance(cfg).withRemask(remask).withBlockCache(cache).withSeed(seed);
    }

    private BlockCache blockCacheKind() {
        if (blockCache == null) return BlockCache.NONE;
        return switch (blockCache.toLowerCase(Locale.ROOT)) {
            case "dual" -> BlockCache.DUAL;
            case "prefix" -> BlockCache.PREFIX;
            default -> throw new IllegalArgumentException("--block-cache takes dual or prefix (or nothing, for dual), not '" + blockCache + "'");
        };
    }

    private UnmaskingPolicy unmaskingPolicy(NoiseSchedule schedule) {
        String name = policyName();
        if (threshold != null && !name.equals("threshold")) {
            throw new IllegalArgumentException("--threshold applies only to --policy threshold (the policy is " + name + ")");
        }
        if (factor != null && !name.equals("factor")) {
            throw new IllegalArgumentException("--factor applies only to --policy factor (the policy is " + name + ")");
        }
        if (gamma != null && !name.equals("eb")) {
            throw new IllegalArgumentException("--gamma applies only to --policy eb (the policy is " + name + ")");
        }
        return switch (name) {
            case "confidence" -> new ConfidencePolicy();
            case "margin" -> new MarginPolicy();
            case "entropy" -> new EntropyPolicy();
            case "random" -> new RandomPolicy();
            case "ancestral" -> new AncestralPolicy(schedule);
            case "threshold" -> new ThresholdPolicy(threshold != null ? threshold : 0.9);
            case "factor" -> new FactorPolicy(factor != null ? factor : 1.0);
            case "eb" -> new EntropyBoundPolicy(gamma != null ? gamma : 0.1);
            default -> throw new IllegalArgumentException("unknown --policy '" + name + "'" + (policy == null ? " in " + suggested.file() : "")
                    + "; expected " + POLICIES);
        };
    }

    /** The settings a diffusion run used, for --json. */
    Map<String, Object> diffusionSettings(SamplerOptions o) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("sampler", "diffusion");
        m.put("length", (long) length);
        m.put("steps", (long) o.steps());
        m.put("block", (long) o.blockLength());
        m.put("policy", policyName());
        if (o.policy() instanceof ThresholdPolicy t) m.put("threshold", t.threshold());
        if (o.policy() instanceof FactorPolicy f) m.put("factor", f.factor());
        if (o.policy() instanceof EntropyBoundPolicy e) m.put("gamma", e.gamma());
        putTokenSettings(m);
        m.put("cfg", cfg);
        m.put("remask", (long) remask);
        m.put("block_cache", o.blockCache().name().toLowerCase(Locale.ROOT));
        return m;
    }

    void putTokenSettings(Map<String, Object> m) {
        m.put("temperature", temperature());
        m.put("top_k", (long) topK());
        m.put("top_p", topP());
        m.put("seed", seed);
    }

    /** The diffusion-only options the user set, named, for the note that autoregressive sampling ignores them. */
    String diffusionOnlyOptionsGiven() {
        StringBuilder sb = new StringBuilder();
        if (steps != null) sb.append(" --steps");
        if (block != null) sb.append(" --block");
        if (policy != null) sb.append(" --policy");
        if (threshold != null) sb.append(" --threshold");
        if (factor != null) sb.append(" --factor");
        if (gamma != null) sb.append(" --gamma");
        if (cfg != 0) sb.append(" --cfg");
        if (remask != 0) sb.append(" --remask");
        if (blockCache != null) sb.append(" --block-cache");
        return sb.toString().strip();
    }
}
