package dev.cordon.internal.report;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import dev.cordon.Violation;

import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Violations as JSON lines ({@code --log FILE}), one object per refused call, written as they happen. */
public final class ViolationLog implements AutoCloseable {
    private final OutputStream out;
    private final JsonFactory json = new JsonFactory();

    public ViolationLog(Path file) throws IOException {
        this.out = Files.newOutputStream(file);
    }

    public synchronized void write(Violation v) {
        try {
            JsonGenerator g = json.createGenerator(out, JsonEncoding.UTF8);
            g.configure(JsonGenerator.Feature.AUTO_CLOSE_TARGET, false);
            writeObject(g, v);
            g.flush();
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void writeObject(JsonGenerator g, Violation v) throws IOException {
        g.writeStartObject();
        g.writeStringField("event", "denied");
        g.writeStringField("time", v.time().toString());
        g.writeNumberField("pid", v.pid());
        g.writeStringField("process", v.process());
        g.writeStringField("syscall", v.syscall());
        g.writeStringField("call", v.call());
        g.writeStringField("reason", v.reason());
        g.writeStringField("action", v.action());
        g.writeEndObject();
    }

    @Override
    public synchronized void close() throws IOException {
        out.close();
    }
}
