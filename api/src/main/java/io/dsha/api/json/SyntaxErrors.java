package io.dsha.api.json;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.io.ContentReference;
import io.dsha.api.problem.Violation;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Turns a YAML or JSON syntax error into one sentence at the place to fix, instead of the parser's
 * text (SnakeYAML's several lines with a caret, Jackson's character codes and source notes). Where
 * the parser stops is often not where the mistake is: a missing {@code ':'} shows up on the next
 * line, an unclosed quote or bracket at the end of the document. The place given is then where the
 * mistake starts, read from the parser's second mark or from the text.
 */
final class SyntaxErrors {

    private static final Pattern DUPLICATE = Pattern.compile("Duplicate field '(.*)'");
    private static final Pattern CANNOT_START = Pattern.compile("found character '(.+?)' that cannot start any token");
    private static final Pattern BLOCK_END = Pattern.compile("expected <block end>, but found '(.+?)'");
    private static final Pattern START_MARKER = Pattern.compile(
            "expected close marker for (Array|Object) \\(start marker at .*line: (\\d+), column: (\\d+)\\]");
    private static final Pattern WRONG_CLOSE = Pattern.compile(
            "Unexpected close marker '(.)': expected '(.)' \\(for (Array|Object) starting at .*line: (\\d+), column: (\\d+)\\]");
    private static final Pattern UNEXPECTED = Pattern.compile("Unexpected character \\('(.+?)' \\(code \\d+\\)\\): (.*)", Pattern.DOTALL);
    private static final Pattern UNRECOGNIZED = Pattern.compile("Unrecognized token '(.*?)'");
    private static final Pattern CONTROL = Pattern.compile("Illegal unquoted character \\(\\(CTRL-CHAR, code (\\d+)\\)\\)");

    private final String[] lines;

    private SyntaxErrors(String text) {
        this.lines = text.split("\r\n|\n|\r", -1);
    }

    /**
     * The violation for {@code e}, raised while reading {@code text} in {@code scope} (the object or
     * list the parser was in). A repeated key is one at {@code field}, with {@code first}, where that
     * key was seen before, when known.
     */
    static Violation describe(JsonProcessingException e, String text, JsonStreamContext scope, String field, SourceMap.Place first) {
        SyntaxErrors s = new SyntaxErrors(text);
        String message = String.valueOf(e.getOriginalMessage());
        Matcher dup = DUPLICATE.matcher(message);
        if (dup.matches()) {
            return s.duplicate(dup.group(1), field, e.getLocation(), first);
        }
        if (e.getCause() instanceof MarkedYAMLException y) {
            return s.yaml(y);
        }
        return s.json(message, e.getLocation(), scope);
    }

    // ---------------------------------------------------------------- YAML

    private Violation yaml(MarkedYAMLException e) {
        String problem = String.valueOf(e.getProblem());
        String context = String.valueOf(e.getContext());
        Mark at = e.getProblemMark();
        Mark from = e.getContextMark();
        int line = at.getLine() + 1;
        int column = at.getColumn() + 1;
        if (problem.startsWith("mapping values are not allowed")) {
            return colonNotAllowed(line, column);
        }
        if (problem.startsWith("could not find expected ':'") && from != null) {
            return missingColon(from.getLine() + 1, from.getColumn() + 1);
        }
        if (problem.contains("'\\t(TAB)'")) {
            boolean indenting = text(line).substring(0, Math.min(column - 1, text(line).length())).isBlank();
            return violation(line, column, indenting
                    ? "this line is indented with a tab; YAML indents with spaces only"
                    : "a tab cannot stand here; use spaces");
        }
        Matcher cannotStart = CANNOT_START.matcher(problem);
        if (cannotStart.find()) {
            return violation(line, column, "a value cannot start with '" + cannotStart.group(1) + "'; put it in quotes");
        }
        if (context.startsWith("while scanning a quoted scalar") && from != null) {
            return violation(from.getLine() + 1, from.getColumn() + 1, "the quoted string that starts here is never closed");
        }
        boolean list = context.startsWith("while parsing a flow sequence");
        if ((list || context.startsWith("while parsing a flow mapping")) && from != null) {
            return problem.contains("<stream end>")
                    ? unclosed(list, from.getLine() + 1, from.getColumn() + 1)
                    : violation(line, column, "expected ',' or '" + (list ? ']' : '}') + "' here, in the " + (list ? "list" : "object")
                            + " opened at line " + (from.getLine() + 1) + ", column " + (from.getColumn() + 1));
        }
        Matcher blockEnd = BLOCK_END.matcher(problem);
        if (blockEnd.find()) {
            return switch (blockEnd.group(1)) {
                case "-" -> violation(line, column, "a list item cannot start here; put it under a key that ends its line with ':'");
                case "<scalar>" -> runOnQuote(line, column);
                default -> notAligned(line, column);
            };
        }
        return violation(line, column, problem.replace("\n", " "));
    }

    /** A ':' the scanner did not expect: a second one on a line, a missing one on the line above, or too deep an indent. */
    private Violation colonNotAllowed(int line, int column) {
        String before = text(line).substring(0, Math.min(column - 1, text(line).length()));
        if (content(before).contains(": ")) {
            return violation(line, column, "a second ': ' on one line; put a value that contains ': ' in quotes");
        }
        int above = line - 1;
        while (above >= 1 && content(text(above)).isEmpty()) {
            above--;
        }
        if (above >= 1) {
            String content = content(text(above));
            if (!content.contains(": ") && !content.endsWith(":")) {
                return missingColon(above, text(above).indexOf(content) + 1);
            }
            int keyColumn = text(above).indexOf(content);
            if (!content.endsWith(":") && indent(text(line)) > keyColumn) {
                String key = content.substring(0, content.indexOf(": "));
                return violation(line, indent(text(line)) + 1, "this line is indented more than `" + key + "` on line " + above
                        + "; keys of one object must start in the same column");
            }
        }
        return violation(line, column, "a ':' cannot stand here; check this line's indentation and the line above it");
    }

    private Violation missingColon(int line, int column) {
        String content = content(text(line).substring(Math.min(column - 1, text(line).length())));
        String[] keyAndValue = content.split("\\s+", 2);
        String fixed = keyAndValue.length == 2 ? keyAndValue[0] + ": " + keyAndValue[1] : content + ":";
        return violation(line, column, "missing ':' after the key; `" + content + "` should read `" + fixed + "`");
    }

    private Violation notAligned(int line, int column) {
        return violation(line, column, "this line is indented differently from the keys above it; keys of one object must start"
                + " in the same column");
    }

    /** Text right after a closing quote: a string opened on an earlier line took in everything up to here. */
    private Violation runOnQuote(int line, int column) {
        String here = text(line);
        char quote = column >= 2 && column - 2 < here.length() ? here.charAt(column - 2) : 0;
        if (quote == '"' || quote == '\'') {
            for (int l = line; l >= 1; l--) {
                String s = text(l);
                int end = l == line ? column - 2 : s.length();
                int open = s.lastIndexOf(quote, end - 1);
                if (open >= 0) {
                    return l == line ? notAligned(line, column)
                            : violation(l, open + 1, "the quoted string that starts here is not closed on its line; it runs on to line "
                                    + line);
                }
            }
        }
        return notAligned(line, column);
    }

    // ---------------------------------------------------------------- JSON

    private Violation json(String message, JsonLocation location, JsonStreamContext scope) {
        int line = location == null ? 0 : location.getLineNr();
        int column = location == null ? 0 : location.getColumnNr();
        Matcher m = START_MARKER.matcher(message);
        if (m.find()) {
            return unclosed(m.group(1).equals("Array"), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
        }
        if (message.startsWith("Unexpected end-of-input")) {
            if (message.contains("quote") || message.contains("VALUE_STRING")) {
                return violation(line, column, "the document ends inside a string; a closing '\"' is missing");
            }
            // Cut short inside an object or a list: the one to close is the innermost still open.
            JsonLocation start = scope == null || scope.inRoot() ? null : scope.startLocation(ContentReference.unknown());
            return start == null || start.getLineNr() <= 0 ? violation(line, column, "the document ends before it is complete")
                    : unclosed(scope.inArray(), start.getLineNr(), start.getColumnNr());
        }
        m = WRONG_CLOSE.matcher(message);
        if (m.find()) {
            return violation(line, column, "'" + m.group(1) + "' does not close the " + (m.group(3).equals("Array") ? "list" : "object")
                    + " opened at line " + m.group(4) + ", column " + m.group(5) + "; it ends with '" + m.group(2) + "'");
        }
        m = CONTROL.matcher(message);
        if (m.find()) {
            int code = Integer.parseInt(m.group(1));
            if (code == '\n' || code == '\r') {
                String s = text(line);
                int open = s.lastIndexOf('"', Math.min(column - 1, s.length()) - 1);
                return violation(line, open >= 0 ? open + 1 : column, "the quoted string that starts here is not closed on its line");
            }
            return violation(line, column, code == '\t' ? "a tab inside a string must be written \\t"
                    : "a control character inside a string must be escaped, such as \\u" + "%04x".formatted(code));
        }
        m = UNRECOGNIZED.matcher(message);
        if (m.find()) {
            return violation(line, column, "`" + m.group(1) + "` is not a JSON value; put text in double quotes");
        }
        m = UNEXPECTED.matcher(message);
        if (m.find()) {
            return violation(line, column, unexpected(m.group(1), m.group(2)));
        }
        return violation(line, column, firstLine(message));
    }

    private static String unexpected(String character, String expecting) {
        if (expecting.contains("comment")) {
            return "JSON does not allow comments; write the file as YAML to keep them";
        }
        if (expecting.contains("comma to separate Object")) {
            return "a ',' is missing between this field and the one before it";
        }
        if (expecting.contains("comma to separate Array")) {
            return "a ',' is missing between this item and the one before it";
        }
        if (character.equals("'")) {
            return "JSON needs double quotes, not single quotes";
        }
        if (expecting.contains("double-quote to start field name")) {
            return character.equals("}") ? "a ',' before '}' is not allowed in JSON" : "a field name must be in double quotes";
        }
        if (expecting.startsWith("expected a value") || expecting.startsWith("expected a valid value")) {
            return ",]}".contains(character)
                    ? "a value is missing before '" + character + "'"
                    : "a value cannot start with '" + character + "'";
        }
        return "'" + character + "' cannot stand here";
    }

    // ---------------------------------------------------------------- both

    private Violation duplicate(String name, String field, JsonLocation location, SourceMap.Place first) {
        int line = location == null ? 0 : location.getLineNr();
        int column = location == null ? 0 : location.getColumnNr();
        // The parser stops after the key; point at its start (its opening quote in JSON).
        String s = text(line);
        int key = s.lastIndexOf(name, Math.min(column - 1, s.length()));
        if (key >= 0) {
            column = key > 0 && (s.charAt(key - 1) == '"' || s.charAt(key - 1) == '\'') ? key : key + 1;
        }
        String where = first == null ? "" : " (first at line " + first.line() + ", column " + first.column() + ")";
        return new Violation(field == null ? name : field, "appears twice in one object" + where + "; keep one", line, column);
    }

    private static Violation unclosed(boolean list, int line, int column) {
        return violation(line, column, list ? "the list opened with '[' here is never closed with ']'"
                : "the object opened with '{' here is never closed with '}'");
    }

    private static Violation violation(int line, int column, String message) {
        return line <= 0 ? new Violation(null, message) : new Violation(null, message, line, Math.max(1, column));
    }

    private String text(int line) {
        return line >= 1 && line <= lines.length ? lines[line - 1] : "";
    }

    /** A line without its indent, list dashes and comment. */
    private static String content(String line) {
        String s = line.strip();
        while (s.startsWith("- ") || s.equals("-")) {
            s = s.substring(1).strip();
        }
        int comment = s.startsWith("#") ? 0 : s.indexOf(" #");
        return (comment >= 0 ? s.substring(0, comment) : s).strip();
    }

    private static int indent(String line) {
        int i = 0;
        while (i < line.length() && line.charAt(i) == ' ') {
            i++;
        }
        return i;
    }

    private static String firstLine(String message) {
        int cut = message.indexOf('\n');
        return (cut < 0 ? message : message.substring(0, cut)).replaceAll(" ?\\(?at \\[Source: .*", "");
    }
}
