#!/usr/bin/python3
"""Checks an Open311 GeoReport v2 response body, for the end-to-end tests.

  check_open311.py json SCHEMA_DIR SCHEMA FILE   validate FILE against SCHEMA_DIR/SCHEMA
  check_open311.py xml ROOT ITEM FILE            FILE is well-formed XML whose root is ROOT
                                                 and whose children are all ITEM elements
                                                 (any children for ITEM "*")

Exit status 0 when the body passes, 1 with the reasons on stdout otherwise, 2 when this
machine cannot check (no python3-jsonschema).
"""
import json
import pathlib
import sys
import xml.etree.ElementTree as ET


def check_json(schema_dir, schema_name, body_file):
    try:
        import jsonschema
    except ImportError:
        print("python3-jsonschema is not installed")
        return 2
    base = pathlib.Path(schema_dir).resolve()
    schema = json.loads((base / schema_name).read_text())
    body = json.loads(pathlib.Path(body_file).read_text())
    resolver = jsonschema.RefResolver(base_uri=base.as_uri() + "/", referrer=schema)
    validator = jsonschema.Draft7Validator(schema, resolver=resolver)
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    for e in errors:
        print("/".join(str(p) for p in e.path) or "(root)", ":", e.message)
    return 1 if errors else 0


def check_xml(root_name, item_name, body_file):
    try:
        root = ET.parse(body_file).getroot()
    except ET.ParseError as e:
        print("not well-formed XML:", e)
        return 1
    if root.tag != root_name:
        print("root is <%s>, expected <%s>" % (root.tag, root_name))
        return 1
    wrong = [child.tag for child in root if item_name != "*" and child.tag != item_name]
    if wrong:
        print("unexpected children of <%s>: %s" % (root_name, ", ".join(wrong)))
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] not in ("json", "xml"):
        print(__doc__)
        sys.exit(2)
    if sys.argv[1] == "json":
        sys.exit(check_json(sys.argv[2], sys.argv[3], sys.argv[4]))
    sys.exit(check_xml(sys.argv[2], sys.argv[3], sys.argv[4]))
