import java.nio.file.Files;
import java.nio.file.Path;

/** Runs under the java profile: prints, then tries to read the file it is given. */
public class Hello {
    public static void main(String[] args) {
        System.out.println("hello from java " + Runtime.version().feature());
        if (args.length > 0) {
            try {
                Files.readString(Path.of(args[0]));
                System.out.println("READ");
            } catch (Exception e) {
                System.out.println("DENIED " + e.getClass().getSimpleName());
            }
        }
    }
}
