"""Sphinx extension: read the package's plain-text notation in docstrings literally.

The docstrings are numpydoc, but their formulas are plain text: ``|B|`` is a
magnitude, ``max|x|`` a maximum norm and ``lambda_-`` a subscript. In
reStructuredText ``|B|`` is a substitution reference and ``lambda_`` a
hyperlink reference, so docutils reports "Undefined substitution" and
"Unknown target name" for them. The package defines no substitutions and
links no targets that way, so this hook escapes exactly those two constructs
(``\\|B\\|``, ``lambda\\_``) outside inline literals, roles, literal blocks
and doctests, after numpydoc has turned a docstring into reStructuredText
(numpydoc copies the summary line of a property into the class's Attributes
list, so escaping before it would miss those). Everything else is left as
written; escaping twice changes nothing.
"""
import re

# |text| as docutils reads a substitution reference: no whitespace inside the bars,
# not preceded by a word character or a backslash, not followed by a word character
SUBSTITUTION = re.compile(r"(?<![\w\\|])\|(?=[^\s|])([^|`]*?[^\s|\\])\|(?![\w|])")
# name_ as docutils reads a hyperlink reference: a word ending in one underscore, then
# whitespace, punctuation or the end of the line
REFERENCE = re.compile(r"(?<![\w\\])([A-Za-z][A-Za-z0-9]*(?:[-.+][A-Za-z0-9]+)*)_(?![\w`])")
LITERAL = re.compile(r"``.+?``|(:[\w:+-]+:)?`[^`]*`_{0,2}")  # ``literal``, roles and `interpreted`


def escape_line(line):
    """``line`` with substitution and hyperlink references outside literals escaped."""
    out, pos = [], 0
    for m in LITERAL.finditer(line):
        out.append(_escape(line[pos:m.start()]))
        out.append(m.group(0))
        pos = m.end()
    out.append(_escape(line[pos:]))
    return "".join(out)


def _escape(text):
    text = SUBSTITUTION.sub(lambda m: "\\|" + m.group(1) + "\\|", text)
    return REFERENCE.sub(lambda m: m.group(1) + "\\_", text)


def escape_lines(lines):
    """Escape every prose line of a docstring (a list of lines), in place."""
    opener = None  # indentation of a line ending in "::" (a literal block may follow)
    in_literal = False
    for k, line in enumerate(lines):
        stripped = line.strip()
        indent = len(line) - len(line.lstrip())
        if in_literal:
            if not stripped or indent > opener:
                continue  # inside the literal block
            in_literal, opener = False, None
        elif opener is not None and stripped:
            if indent > opener:
                in_literal = True
                continue
            opener = None
        if not stripped:
            continue
        if not (stripped == "|" or stripped.startswith((">>>", "...", "| ", "+-", "+=", ".. "))):
            lines[k] = escape_line(line)  # not a doctest, line block, grid table, directive
        if stripped.endswith("::"):
            opener = indent
    return lines


def process(app, what, name, obj, options, lines):
    escape_lines(lines)


def setup(app):
    # priority > 500: after numpydoc's own autodoc-process-docstring handler
    app.connect("autodoc-process-docstring", process, priority=600)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
