package jdlm.tokenizer;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The prompt formats of the instruct models jdlm runs, written out in Java rather than
 * interpreted from Jinja. A model's published template (GGUF {@code tokenizer.chat_template},
 * tokenizer_config.json {@code chat_template}) is only recognised by its markers.
 *
 * <ul>
 *   <li>{@link Format#LLADA} — LLaDA-8B-Instruct (Llama-3's header format): BOS once, then per
 *       message {@code <|start_header_id|>ROLE<|end_header_id|>\n\nCONTENT<|eot_id|>} with the
 *       content trimmed; the generation prompt is {@code <|start_header_id|>assistant<|end_header_id|>\n\n}.</li>
 *   <li>{@link Format#CHATML} — Dream-v0-Instruct (Qwen2.5's template) and llama.cpp's fallback:
 *       per message {@code <|im_start|>ROLE\nCONTENT<|im_end|>\n}; when the first message is not a
 *       system message, the template's default system prompt (Dream: "You are a helpful
 *       assistant.") goes first, if it has one; the generation prompt is {@code <|im_start|>assistant\n}.</li>
 * </ul>
 *
 * <p>{@link #encode} emits the template's markers as special ids and tokenises each message's
 * content as ordinary text (together with the template text around it, as the reference
 * tokenizers do), so marker strings typed by a user never become control tokens.
 */
public final class ChatTemplate {
    public enum Format { LLADA, CHATML }

    /** Dream-v0-Instruct's default system prompt (its tokenizer_config.json chat_template). */
    public static final String DREAM_SYSTEM_PROMPT = "You are a helpful assistant.";

    private static final String HEADER_START = "<|start_header_id|>";
    private static final String HEADER_END = "<|end_header_id|>";
    private static final String EOT = "<|eot_id|>";
    private static final String IM_START = "<|im_start|>";
    private static final String IM_END = "<|im_end|>";
    /** A ChatML system turn whose content is a plain literal in the template source: its default prompt. */
    private static final Pattern DEFAULT_SYSTEM = Pattern.compile(
            Pattern.quote(IM_START) + "system(?:\\\\n|\\n)([^'\"{}<\\\\]+)" + Pattern.quote(IM_END));

    private final Format format;
    private final String bosToken;
    private final String defaultSystemPrompt;

    private ChatTemplate(Format format, String bosToken, String defaultSystemPrompt) {
        this.format = format;
        this.bosToken = bosToken;
        this.defaultSystemPrompt = defaultSystemPrompt;
    }

    /** LLaDA's format; {@code bosToken} (e.g. {@code <|startoftext|>}) opens the conversation, null for none. */
    public static ChatTemplate llada(String bosToken) {
        return new ChatTemplate(Format.LLADA, bosToken, null);
    }

    /** ChatML; {@code defaultSystemPrompt} null for none. */
    public static ChatTemplate chatml(String defaultSystemPrompt) {
        return new ChatTemplate(Format.CHATML, null, defaultSystemPrompt);
    }

    /** Dream-v0-Instruct: ChatML with {@value #DREAM_SYSTEM_PROMPT} as the default system prompt. */
    public static ChatTemplate dream() {
        return chatml(DREAM_SYSTEM_PROMPT);
    }

    /**
     * The template of a GGUF model: its {@code tokenizer.chat_template} if present, else by
     * {@code general.architecture} (llada, dream), else plain ChatML as llama.cpp does.
     */
    public static ChatTemplate forGguf(Map<String, Object> metadata, BpeTokenizer tokenizer) {
        Object source = metadata.get("tokenizer.chat_template");
        Object arch = metadata.get("general.architecture");
        ChatTemplate t = select(source instanceof String s ? s : null, arch instanceof String a ? a : null, tokenizer);
        return t != null ? t : chatml(null);
    }

    /**
     * The template of a Hugging Face model: tokenizer_config.json's {@code chat_template} (null when
     * absent), else the architecture from config.json ({@code architectures[0]} or
     * {@code model_type}, e.g. "LLaDAModelLM", "Dream").
     */
    public static ChatTemplate forHuggingFace(String chatTemplate, String architecture, BpeTokenizer tokenizer) {
        ChatTemplate t = select(chatTemplate, architecture, tokenizer);
        if (t == null) {
            throw new IllegalArgumentException("no chat template: tokenizer_config.json has none and the architecture "
                    + (architecture == null ? "is not given" : "\"" + architecture + "\" is neither LLaDA nor Dream"));
        }
        return t;
    }

    private static ChatTemplate select(String source, String architecture, BpeTokenizer tokenizer) {
        String bos = tokenizer.bosId() >= 0 ? tokenizer.specialMarker(tokenizer.bosId()) : null;
        if (source != null) {
            if (source.contains(HEADER_START) && source.contains(HEADER_END) && source.contains(EOT)) return llada(bos);
            if (source.contains(IM_START) && source.contains(IM_END)) {
                Matcher m = DEFAULT_SYSTEM.matcher(source);
                return chatml(m.find() ? m.group(1) : null);
            }
            String head = source.length() > 120 ? source.substring(0, 120) + "…" : source;
            throw new IllegalArgumentException("unrecognised chat template: neither LLaDA's (Llama-3 "
                    + HEADER_START + " … " + EOT + ") nor ChatML (" + IM_START + " … " + IM_END + "); it begins \""
                    + head + "\"");
        }
        String a = architecture == null ? "" : architecture.toLowerCase(Locale.ROOT);
        if (a.contains("llada")) return llada(bos);
        if (a.contains("dream")) return dream();
        return null;
    }

    public Format format() {
        return format;
    }

    /** The default system prompt (ChatML), or null. */
    public String defaultSystemPrompt() {
        return defaultSystemPrompt;
    }

    /** The special token that ends a turn: {@code <|eot_id|>} or {@code <|im_end|>}. */
    public String endOfTurnToken() {
        return format == Format.LLADA ? EOT : IM_END;
    }

    /** The prompt as text, markers included, as the published template renders it. */
    public String render(List<ChatMessage> messages, boolean addGenerationPrompt) {
        StringBuilder sb = new StringBuilder();
        for (Part p : parts(messages, addGenerationPrompt)) sb.append(p.text());
        return sb.toString();
    }

    /** The prompt as ids: markers as their special ids, everything else through {@link BpeTokenizer#encode}. */
    public int[] encode(BpeTokenizer tokenizer, List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<int[]> chunks = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        for (Part p : parts(messages, addGenerationPrompt)) {
            if (!p.marker()) {
                text.append(p.text());
                continue;
            }
            if (!text.isEmpty()) chunks.add(tokenizer.encode(text.toString()));
            text.setLength(0);
            int id = tokenizer.addedTokenId(p.text());
            if (id < 0) {
                throw new IllegalArgumentException("the " + format + " chat template needs the token " + p.text()
                        + ", which this vocabulary does not have");
            }
            chunks.add(new int[] {id});
        }
        if (!text.isEmpty()) chunks.add(tokenizer.encode(text.toString()));
        int n = 0;
        for (int[] c : chunks) n += c.length;
        int[] out = new int[n];
        int o = 0;
        for (int[] c : chunks) {
            System.arraycopy(c, 0, out, o, c.length);
            o += c.length;
        }
        return out;
    }

    /** A piece of the rendered prompt: a marker (one special token) or ordinary text. */
    private record Part(boolean marker, String text) {}

    private List<Part> parts(List<ChatMessage> messages, boolean addGenerationPrompt) {
        List<Part> out = new ArrayList<>();
        if (format == Format.LLADA) {
            if (bosToken != null) out.add(new Part(true, bosToken));
            for (ChatMessage m : messages) {
                out.add(new Part(true, HEADER_START));
                out.add(new Part(false, m.role()));
                out.add(new Part(true, HEADER_END));
                out.add(new Part(false, "\n\n" + jinjaTrim(m.content())));
                out.add(new Part(true, EOT));
            }
            if (addGenerationPrompt) {
                out.add(new Part(true, HEADER_START));
                out.add(new Part(false, "assistant"));
                out.add(new Part(true, HEADER_END));
                out.add(new Part(false, "\n\n"));
            }
        } else {
            boolean hasSystem = !messages.isEmpty() && messages.get(0).role().equals("system");
            if (!hasSystem && defaultSystemPrompt != null) chatmlTurn(out, "system", defaultSystemPrompt);
            for (ChatMessage m : messages) chatmlTurn(out, m.role(), m.content());
            if (addGenerationPrompt) {
                out.add(new Part(true, IM_START));
                out.add(new Part(false, "assistant\n"));
            }
        }
        return out;
    }

    private static void chatmlTurn(List<Part> out, String role, String content) {
        out.add(new Part(true, IM_START));
        out.add(new Part(false, role + "\n" + content));
        out.add(new Part(true, IM_END));
        out.add(new Part(false, "\n"));
    }

    /** Jinja's {@code trim} is Python's {@code str.strip()}: Unicode whitespace, NEL and the separators included. */
    private static String jinjaTrim(String s) {
        int a = 0, b = s.length();
        while (a < b && isPythonSpace(s.charAt(a))) a++;
        while (b > a && isPythonSpace(s.charAt(b - 1))) b--;
        return s.substring(a, b);
    }

    private static boolean isPythonSpace(char c) {
        return Character.isWhitespace(c) || Character.isSpaceChar(c) || c == '\u0085';
    }
}
