package dev.cordon;

import java.nio.file.Path;
import java.util.Objects;

/** Access to a file or to a directory and everything beneath it. The path must be absolute. */
public record PathRule(Path path, Access access) {
    public PathRule {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(access, "access");
        if (!path.isAbsolute()) throw new PolicyException("path rule " + path + " is not an absolute path");
        path = path.normalize();
    }
}
