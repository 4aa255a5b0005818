package jdlm.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import jdlm.LoadedModel;
import jdlm.TextStream;
import jdlm.format.Json;
import jdlm.format.JsonException;
import jdlm.sample.StepListener;
import jdlm.tokenizer.ChatMessage;
import jdlm.tokenizer.Tokenizer;
import jdlm.train.Checkpoint;

/**
 * The HTTP side of {@code jdlm serve}: OpenAI's completion and chat-completion endpoints (with
 * server-sent-event streaming), the model list, and {@code /jdlm/denoise}, which streams every
 * step's whole canvas for the web page at {@code /} to draw the denoising as it happens.
 *
 * <p>Requests run one at a time (the model and its thread pool are shared); others wait their turn.
 * Streaming a diffusion model sends the answer's committed prefix as it grows — tokens committed
 * further right wait until everything before them is committed — and a uniform-diffusion model,
 * whose tokens may change until its last step, sends its answer at the end.
 */
final class ApiServer {
    /** Requests larger than this are refused (a prompt is text, not a data set). */
    static final int MAX_BODY_BYTES = 1 << 20;
    /** Most denoising steps a request may ask for (a uniform-diffusion model runs every one of them). */
    static final int MAX_STEPS = 10_000;

    private final LoadedModel model;
    private final String modelId;
    private final int maxTokens;
    private final HttpServer http;
    private final ReentrantLock generation = new ReentrantLock(true);
    /** Generations admitted: the one running and those waiting for it; a request beyond them gets 503. */
    final Semaphore admitted;
    private final int queue;
    private final AtomicLong requests = new AtomicLong();

    /** A client's mistake: answered with this status and an OpenAI-style error object. */
    static final class RequestException extends RuntimeException {
        final int status;

        RequestException(int status, String message) {
            super(message);
            this.status = status;
        }
    }

    /** {@code queue}: how many generations may wait while one runs (more are refused with 503). */
    ApiServer(LoadedModel model, InetSocketAddress address, int maxTokens, int queue) throws IOException {
        this.model = model;
        this.queue = queue;
        this.admitted = new Semaphore(1 + queue);
        // a run or model directory names the model better than its checkpoint file does
        java.nio.file.Path f = model.file();
        this.modelId = f.getFileName().toString().equals(Checkpoint.FILE_NAME) && f.getParent() != null
                ? f.getParent().getFileName().toString() : f.getFileName().toString();
        this.maxTokens = maxTokens;
        this.http = HttpServer.create(address, 0);
        http.createContext("/", this::page);
        http.createContext("/v1/models", ex -> handle(ex, "GET", this::models));
        http.createContext("/v1/completions", ex -> handle(ex, "POST", body -> complete(ex, body, false)));
        http.createContext("/v1/chat/completions", ex -> handle(ex, "POST", body -> complete(ex, body, true)));
        http.createContext("/jdlm/denoise", ex -> handle(ex, "POST", body -> denoise(ex, body)));
        // a thread per exchange: the waiting generations are bounded by admission, and the rest
        // (models, the page, refusals) must not wait behind them
        http.setExecutor(Executors.newCachedThreadPool());
    }

    void start() { http.start(); }

    void stop() {
        http.stop(0);
        ((java.util.concurrent.ExecutorService) http.getExecutor()).shutdownNow();
    }

    int port() { return http.getAddress().getPort(); }

    // ------------------------------------------------------------------ routes

    private interface Route {
        /** Returns the JSON to send, or null when the route answered by itself (a stream). */
        Map<String, Object> answer(Map<String, Object> body) throws IOException;
    }

    private void handle(HttpExchange ex, String method, Route route) throws IOException {
        try (ex) {
            try {
                if (!ex.getRequestMethod().equals(method)) {
                    ex.getResponseHeaders().set("Allow", method);
                    throw new RequestException(405, ex.getRequestURI().getPath() + " takes " + method + ", not " + ex.getRequestMethod());
                }
                Map<String, Object> body = method.equals("POST") ? body(ex) : Map.of();
                Map<String, Object> answer = route.answer(body);
                if (answer != null) send(ex, 200, answer);
            } catch (RequestException e) {
                send(ex, e.status, error(e.getMessage(), e.status == 404 ? "not_found" : e.status == 503 ? "server_overloaded" : "invalid_request_error"));
            } catch (IllegalArgumentException e) { // a setting the samplers refuse: the request's fault
                send(ex, 400, error(e.getMessage(), "invalid_request_error"));
            } catch (RuntimeException e) {
                send(ex, 500, error("internal error: " + e, "server_error"));
            }
        } catch (IOException e) {
            // the client went away mid-answer: nothing left to tell it
        }
    }

    private Map<String, Object> body(HttpExchange ex) throws IOException {
        byte[] bytes;
        try (InputStream in = ex.getRequestBody()) {
            bytes = in.readNBytes(MAX_BODY_BYTES + 1);
        }
        if (bytes.length > MAX_BODY_BYTES) throw new RequestException(413, "the request body is larger than " + MAX_BODY_BYTES + " bytes");
        try {
            return Json.parseObject(new String(bytes, StandardCharsets.UTF_8), MAX_BODY_BYTES);
        } catch (JsonException e) {
            throw new RequestException(400, "the request body is not a JSON object: " + e.getMessage());
        }
    }

    private Map<String, Object> models(Map<String, Object> ignored) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", modelId);
        m.put("object", "model");
        m.put("owned_by", "jdlm");
        m.put("description", model.describe());
        return Map.of("object", "list", "data", List.of(m));
    }

    /** The web page: a prompt box and the canvas drawn step by step from /jdlm/denoise. */
    private void page(HttpExchange ex) throws IOException {
        try (ex) {
            if (!ex.getRequestURI().getPath().equals("/")) {
                send(ex, 404, error("no such route: " + ex.getRequestURI().getPath()
                        + "; try /, /v1/models, /v1/completions, /v1/chat/completions or /jdlm/denoise", "not_found"));
                return;
            }
            byte[] html;
            try (InputStream in = ApiServer.class.getResourceAsStream("serve.html")) {
                html = new String(in.readAllBytes(), StandardCharsets.UTF_8).replace("{{MODEL}}", escapeHtml(model.describe()))
                        .getBytes(StandardCharsets.UTF_8);
            }
            ex.getResponseHeaders().set("Content-Type", "text/html; charset=utf-8");
            ex.sendResponseHeaders(200, html.length);
            ex.getResponseBody().write(html);
        }
    }

    // ------------------------------------------------------------------ generation

    /** What a request asks for, checked. */
    private record Ask(int[] promptIds, SamplingOptions sampling, boolean stream) {}

    private Ask ask(Map<String, Object> body, boolean chat) {
        int[] promptIds = chat ? chatPrompt(body) : model.encodePrompt(string(body, "prompt", true));
        SamplingOptions s = new SamplingOptions();
        int room = model.config().contextLength() - promptIds.length; // the default fits what the context leaves
        s.length = integer(body, "max_tokens", Math.max(1, Math.min(Math.min(64, maxTokens), room)), 1, maxTokens);
        s.steps = body.containsKey("steps") ? integer(body, "steps", 0, 1, MAX_STEPS) : null;
        s.block = body.containsKey("block") ? integer(body, "block", 0, 1, Integer.MAX_VALUE) : null;
        s.policy = body.containsKey("policy") ? string(body, "policy", true) : null;
        s.temperature = body.containsKey("temperature") ? number(body, "temperature", 0, 100) : null;
        s.topP = body.containsKey("top_p") ? number(body, "top_p", 0, 1) : null;
        s.topK = body.containsKey("top_k") ? integer(body, "top_k", 0, 0, Integer.MAX_VALUE) : null;
        s.seed = body.containsKey("seed") ? integer(body, "seed", 0, Integer.MIN_VALUE, Integer.MAX_VALUE) : 0;
        s.suggest(SuggestedSampling.of(model), model.causal(), note -> { });
        int context = model.config().contextLength();
        if ((long) promptIds.length + s.length > context) {
            throw new RequestException(400, "the prompt (" + promptIds.length + " tokens) plus max_tokens " + s.length
                    + " needs more than the model's context length of " + context + " positions");
        }
        Object stream = body.getOrDefault("stream", false);
        if (!(stream instanceof Boolean b)) throw new RequestException(400, "'stream' must be true or false, found " + stream);
        return new Ask(promptIds, s, b);
    }

    private int[] chatPrompt(Map<String, Object> body) {
        if (model.chat() == null) {
            throw new RequestException(400, modelId + " has no chat template (only imported LLaDA/Dream instruct models do); use /v1/completions");
        }
        if (!(body.get("messages") instanceof List<?> list) || list.isEmpty()) {
            throw new RequestException(400, "'messages' must be a non-empty list of {\"role\": ..., \"content\": ...}");
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (Object o : list) {
            if (!(o instanceof Map<?, ?> msg) || !(msg.get("role") instanceof String role) || !(msg.get("content") instanceof String content)) {
                throw new RequestException(400, "every message needs a string 'role' and a string 'content', found " + o);
            }
            messages.add(new ChatMessage(role, content));
        }
        return model.encodeChat(messages);
    }

    /** Takes a generation slot or refuses the request (503, Retry-After) before anything is sent. */
    private void admit(HttpExchange ex) {
        if (!admitted.tryAcquire()) {
            ex.getResponseHeaders().set("Retry-After", "1");
            throw new RequestException(503, "the server is busy: one generation is running and " + queue
                    + " more are waiting (jdlm serve --queue); try again shortly");
        }
    }

    /** /v1/completions and /v1/chat/completions, whole or streamed. */
    private Map<String, Object> complete(HttpExchange ex, Map<String, Object> body, boolean chat) throws IOException {
        Ask a = ask(body, chat);
        admit(ex);
        try {
            return completeAdmitted(ex, a, chat);
        } finally {
            admitted.release();
        }
    }

    private Map<String, Object> completeAdmitted(HttpExchange ex, Ask a, boolean chat) throws IOException {
        String id = (chat ? "chatcmpl-" : "cmpl-") + requests.incrementAndGet();
        long created = System.currentTimeMillis() / 1000;
        Tokenizer tok = model.tokenizer();
        if (!a.stream()) {
            GenerateCommand.Generated g = run(a, StepListener.NONE);
            int[] answer = g.result().answers()[0];
            Map<String, Object> choice = new LinkedHashMap<>();
            choice.put("index", 0L);
            if (chat) choice.put("message", Map.of("role", "assistant", "content", tok.decode(answer)));
            else choice.put("text", tok.decode(answer));
            choice.put("finish_reason", answer.length < a.sampling().length ? "stop" : "length");
            Map<String, Object> j = envelope(id, chat ? "chat.completion" : "text_completion", created);
            j.put("choices", List.of(choice));
            j.put("usage", Map.of("prompt_tokens", (long) a.promptIds().length, "completion_tokens", (long) answer.length,
                    "total_tokens", (long) (a.promptIds().length + answer.length)));
            j.put("jdlm", g.settings());
            return j;
        }
        SseStream sse = new SseStream(ex);
        TextStream stream = model.textStream(a.promptIds(), piece -> sse.send(chunk(id, chat, created, piece, null)));
        GenerateCommand.Generated g;
        try {
            g = run(a, stream);
        } catch (IllegalArgumentException e) { // the headers are out: the error goes as an event
            sse.send(error(e.getMessage(), "invalid_request_error"));
            sse.done();
            return null;
        }
        int[] answer = g.result().answers()[0];
        stream.finish(answer);
        sse.send(chunk(id, chat, created, "", answer.length < a.sampling().length ? "stop" : "length"));
        sse.done();
        return null;
    }

    /** /jdlm/denoise: every step's whole answer region, one token string per position (null: MASK). */
    private Map<String, Object> denoise(HttpExchange ex, Map<String, Object> body) throws IOException {
        Ask a = ask(body, false);
        admit(ex);
        try {
            return denoiseAdmitted(ex, a);
        } finally {
            admitted.release();
        }
    }

    private Map<String, Object> denoiseAdmitted(HttpExchange ex, Ask a) throws IOException {
        Tokenizer tok = model.tokenizer();
        SseStream sse = new SseStream(ex);
        int offset = model.answerStart(a.promptIds());
        long t0 = System.nanoTime();
        StepListener onStep = e -> {
            List<Object> cells = new ArrayList<>();
            for (int i = offset; i < e.canvas().length; i++) {
                int t = e.canvas()[i];
                cells.add(t == tok.maskId() ? null : tok.decodeWithSpecials(new int[] {t}));
            }
            Map<String, Object> j = new LinkedHashMap<>();
            j.put("step", (long) e.step());
            j.put("block", (long) e.block());
            j.put("committed", java.util.stream.IntStream.of(e.positions()).mapToObj(p -> (long) (p - offset)).toList());
            j.put("tokens", cells);
            j.put("forward_passes", (long) e.forwardPasses());
            j.put("seconds", (System.nanoTime() - t0) / 1e9);
            j.put("finished", e.finished());
            sse.send(j);
        };
        GenerateCommand.Generated g;
        try {
            g = run(a, onStep);
        } catch (IllegalArgumentException e) {
            sse.send(error(e.getMessage(), "invalid_request_error"));
            sse.done();
            return null;
        }
        Map<String, Object> last = new LinkedHashMap<>();
        last.put("text", tok.decode(g.result().answers()[0]));
        last.put("settings", g.settings());
        last.put("seconds", g.result().wallNanos() / 1e9);
        sse.send(last);
        sse.done();
        return null;
    }

    private GenerateCommand.Generated run(Ask a, StepListener listener) {
        generation.lock();
        try {
            return GenerateCommand.generate(model, a.promptIds(), a.sampling(), false, row -> { }, listener, note -> { });
        } finally {
            generation.unlock();
        }
    }

    // ------------------------------------------------------------------ JSON and SSE

    private Map<String, Object> envelope(String id, String object, long created) {
        Map<String, Object> j = new LinkedHashMap<>();
        j.put("id", id);
        j.put("object", object);
        j.put("created", created);
        j.put("model", modelId);
        return j;
    }

    private Map<String, Object> chunk(String id, boolean chat, long created, String text, String finish) {
        Map<String, Object> choice = new LinkedHashMap<>();
        choice.put("index", 0L);
        if (chat) choice.put("delta", text.isEmpty() ? Map.of() : Map.of("content", text));
        else choice.put("text", text);
        choice.put("finish_reason", finish);
        Map<String, Object> j = envelope(id, chat ? "chat.completion.chunk" : "text_completion", created);
        j.put("choices", List.of(choice));
        return j;
    }

    private static Map<String, Object> error(String message, String type) {
        Map<String, Object> e = new LinkedHashMap<>();
        e.put("message", message);
        e.put("type", type);
        return Map.of("error", e);
    }

    private static void send(HttpExchange ex, int status, Map<String, Object> json) throws IOException {
        byte[] bytes = Json.write(json).getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        ex.getResponseBody().write(bytes);
    }

    /** Server-sent events: "data: JSON" per event, "data: [DONE]" at the end (OpenAI's convention). */
    private static final class SseStream {
        private final OutputStream out;

        SseStream(HttpExchange ex) throws IOException {
            ex.getResponseHeaders().set("Content-Type", "text/event-stream");
            ex.getResponseHeaders().set("Cache-Control", "no-cache");
            ex.sendResponseHeaders(200, 0);
            out = ex.getResponseBody();
        }

        void send(Map<String, Object> event) {
            write("data: " + Json.write(event) + "\n\n");
        }

        void done() {
            write("data: [DONE]\n\n");
        }

        private void write(String s) {
            try {
                out.write(s.getBytes(StandardCharsets.UTF_8));
                out.flush();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException("the client closed the stream", e);
            }
        }
    }

    // ------------------------------------------------------------------ request fields

    private static String string(Map<String, Object> body, String key, boolean required) {
        Object v = body.get(key);
        if (v instanceof String s) return s;
        if (v == null && !required) return null;
        throw new RequestException(400, "'" + key + "' must be a string" + (v == null ? " and is missing" : ", found " + v));
    }

    private static int integer(Map<String, Object> body, String key, int dflt, int min, int max) {
        Object v = body.get(key);
        if (v == null) return dflt;
        if (!(v instanceof Long n) || n < min || n > max) {
            throw new RequestException(400, "'" + key + "' must be an integer in [" + min + ", " + max + "], found " + v);
        }
        return (int) (long) n;
    }

    private static double number(Map<String, Object> body, String key, double min, double max) {
        Object v = body.get(key);
        if (!(v instanceof Number n) || !(n.doubleValue() >= min && n.doubleValue() <= max)) {
            throw new RequestException(400, "'" + key + "' must be a number in [" + min + ", " + max + "], found " + v);
        }
        return n.doubleValue();
    }

    private static String escapeHtml(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
