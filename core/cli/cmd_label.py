from __future__ import annotations

import sys

from core.cli.output import open_for_reading, open_for_writing, print_json, warn_case_twins
from core.errors import UsageError
from core.project.labels_csv import export_labels, import_labels

NAME = "label"
HELP = "Set or clear labels; list, add, rename, delete or merge classes; labels to and from CSV."


def add_arguments(p) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)

    set_help = "an extra label set (multi-task, see `label sets`) instead of the main one"

    def action(name, help_text, *, label_set: bool = False, json_help: str | None = None):
        a = sub.add_parser(name, help=help_text, description=help_text)
        a.add_argument("dir", metavar="DIR", help="the project folder")
        if label_set:
            a.add_argument("--set", dest="label_set", metavar="LABEL_SET", help=set_help)
        if json_help:
            a.add_argument("--json", action="store_true", help=json_help)
        return a

    a = action("set", "Label samples: transferlab label set DIR CLASS SAMPLE... (id, hash prefix, path or file name)",
               label_set=True)
    a.add_argument("cls", metavar="CLASS")
    a.add_argument("samples", metavar="SAMPLE", nargs="+")
    a = action("clear", "Remove the label of samples.", label_set=True)
    a.add_argument("samples", metavar="SAMPLE", nargs="+")
    action("classes", "List the classes with their sample counts and shortcut keys.", label_set=True,
           json_help="print a JSON list of {name, count, shortcut, color} ({name, count} for an extra set)")
    a = action("sets", "Label sets (multi-task: e.g. 'species' and 'has spots', a head each in one model): "
               "list them, or --add / --delete an extra set, or --rename-main.",
               json_help="print a JSON list of {name, main, classes: {class: count}}, the main set first")
    a.add_argument("--add", metavar="NAME")
    a.add_argument("--delete", metavar="NAME")
    a.add_argument("--rename-main", metavar="NAME", help="name the main label set (default 'class')")
    a = action("add", "Add classes.")
    a.add_argument("names", metavar="NAME", nargs="+")
    a = action("rename", "Rename a class; its samples keep their label under the new name.", label_set=True)
    a.add_argument("old", metavar="OLD")
    a.add_argument("new", metavar="NEW")
    a = action("delete", "Delete a class; its samples become unlabelled (or move with --move-to).", label_set=True)
    a.add_argument("name", metavar="NAME")
    a.add_argument("--move-to", metavar="CLASS", help="relabel the class's samples to CLASS instead")
    a = action("merge", "Merge classes into one: transferlab label merge DIR SRC... --into TARGET")
    a.add_argument("sources", metavar="SRC", nargs="+")
    a.add_argument("--into", required=True, metavar="TARGET")
    a = action("attributes", "Describe a class by attributes (zero-shot): label attributes DIR CLASS ATTR...; "
               "without CLASS, list the described classes.", json_help="print a JSON object: {class: [attributes]}")
    a.add_argument("cls", metavar="CLASS", nargs="?")
    a.add_argument("attributes", metavar="ATTR", nargs="*")
    a = action("export", "Write labels to a CSV (path,label,split,hash,original_path).")
    a.add_argument("csv", metavar="FILE.csv")
    a.add_argument("--labelled-only", action="store_true")
    a = action("import", "Apply labels from a CSV with a label column and a hash, path, original_path or file column.",
               json_help="print a JSON object: rows applied, unchanged, unmatched")
    a.add_argument("csv", metavar="FILE.csv")


def run(args) -> int:
    # `is None`: --add "" is a name to refuse with a sentence, not a request for the list
    if args.action == "sets" and args.add is None and args.delete is None and args.rename_main is None:
        with open_for_reading(args.dir) as project:
            return _list_sets(project, args)
    if args.action == "classes" and args.label_set:
        with open_for_reading(args.dir) as project:
            counts = project.set_class_counts(args.label_set)
            if args.json:
                print_json([{"name": n, "count": c} for n, c in counts.items()])
            for n, c in ([] if args.json else counts.items()):
                print(f"   {n:<30} {c:>7} samples")
        return 0
    if args.action == "classes":
        with open_for_reading(args.dir) as project:
            classes = project.classes()
            if args.json:
                print_json([{"name": c.name, "count": c.count, "shortcut": c.shortcut, "color": c.color} for c in classes])
            elif not classes:
                print("No classes yet. Add some with: transferlab label add DIR NAME...")
            else:
                for c in classes:
                    print(f"{c.shortcut or ' '}  {c.name:<30} {c.count:>7} samples")
        return 0
    if args.action == "export":  # reads the project only: a read-only one can be exported too
        with open_for_reading(args.dir) as project:
            return _export(project, args)
    with open_for_writing(args.dir) as project:
        return _HANDLERS[args.action](project, args)


def _resolve(project, refs):
    ids, unresolved = project.find_samples(refs)
    if unresolved:
        raise UsageError("These samples were not found: " + "; ".join(unresolved))
    return ids


def _set(project, args):
    ids = _resolve(project, args.samples)
    if args.label_set:
        n = project.set_set_label(args.label_set, ids, args.cls)
        print(f"Labelled {n} sample(s) as '{args.cls}' in the label set '{args.label_set}'.")
        return 0
    before = set(project.class_names())
    n = project.set_label(ids, args.cls)
    print(f"Labelled {n} sample(s) as '{args.cls}'.")
    created = [c for c in project.class_names() if c not in before]
    if created:  # a class made by this label (a typo shows here, not later as an extra class)
        print(f"New class: {', '.join(created)}")
        warn_case_twins(project, created, args.dir)
    return 0


def _clear(project, args):
    ids = _resolve(project, args.samples)
    n = project.set_set_label(args.label_set, ids, None) if args.label_set else project.clear_label(ids)
    print(f"Cleared the label of {n} sample(s){' in ' + repr(args.label_set) if args.label_set else ''}.")
    return 0


def _list_sets(project, args):
    main = {"name": project.main_label_set, "main": True,
            "classes": {c.name: c.count for c in project.classes()}}
    sets = [main] + [{"name": n, "main": False, "classes": project.set_class_counts(n)} for n in project.label_sets()]
    if args.json:
        print_json(sets)
        return 0
    for s in sets:
        labelled = sum(s["classes"].values())
        kind = "main" if s["main"] else "extra"
        print(f"{s['name']:<24} {kind:<6} {len(s['classes']):>3} classes  {labelled:>7} labelled  "
              f"{', '.join(s['classes'])}")
    if len(sets) == 1:
        print("Only the main label set. Add another with: transferlab label sets DIR --add NAME")
    return 0


def _sets(project, args):
    if args.rename_main is not None:
        project.rename_main_label_set(args.rename_main)
        print(f"The main label set is now called '{project.main_label_set}'.")
    if args.add is not None:
        print(f"Added the label set '{project.add_label_set(args.add)}'; label with: "
              f"transferlab label set DIR CLASS SAMPLE... --set '{args.add}'")
    if args.delete is not None:
        n = project.delete_label_set(args.delete)
        print(f"Deleted the label set '{args.delete}' and its {n} label(s).")
    return 0


def _add(project, args):
    for name in args.names:
        print(f"Added class '{project.add_class(name)}'.")
    return 0


def _rename(project, args):
    if args.label_set:
        project.rename_set_class(args.label_set, args.old, args.new)
        print(f"Renamed '{args.old}' to '{args.new}' in the label set '{args.label_set}'; its samples keep their label.")
        return 0
    project.rename_class(args.old, args.new)
    print(f"Renamed '{args.old}' to '{args.new}'; its samples keep their label.")
    return 0


def _delete(project, args):
    if args.label_set:
        if args.move_to:
            raise UsageError("--move-to works in the main label set only; relabel with "
                             "`label set DIR CLASS SAMPLE... --set NAME` first.")
        n = project.delete_set_class(args.label_set, args.name)
        print(f"Deleted class '{args.name}' of the label set '{args.label_set}'; its {n} sample(s) are now "
              "unlabelled there.")
        return 0
    n = project.delete_class(args.name, move_to=args.move_to)
    if args.move_to:
        print(f"Deleted class '{args.name}'; its {n} sample(s) are now labelled '{args.move_to}'.")
    else:
        print(f"Deleted class '{args.name}'; its {n} sample(s) are now unlabelled.")
    return 0


def _merge(project, args):
    n = project.merge_classes(args.sources, args.into)
    print(f"Merged {', '.join(args.sources)} into '{args.into}' ({n} sample(s) relabelled).")
    return 0


def _attributes(project, args):
    if args.cls:
        if not args.attributes:
            raise UsageError("Name the attributes of the class, e.g. transferlab label attributes DIR zebra striped.")
        attrs = project.set_class_attributes(args.cls, args.attributes)
        if not args.json:
            print(f"'{args.cls}' is described by: {', '.join(attrs)}.")
    described = project.class_attributes()
    if args.json:
        print_json(described)
    elif not args.cls:
        for name, attrs in described.items():
            print(f"{name:<30} {', '.join(attrs)}")
    return 0


def _export(project, args):
    rows = export_labels(project, args.csv, include_unlabelled=not args.labelled_only)
    print(f"Wrote {rows} row(s) to {args.csv}.")
    return 0


def _import(project, args):
    sets_before, classes_before = set(project.label_sets()), set(project.class_names())
    report = import_labels(project, args.csv)
    warn_case_twins(project, [c for c in project.class_names() if c not in classes_before], args.dir)
    if args.json:
        print_json(report.to_json())
    else:
        print(f"Applied {report.applied} label(s); {report.unchanged} already so; {len(report.unmatched)} row(s) unmatched.")
        new_sets = [n for n in project.label_sets() if n not in sets_before]
        if new_sets:  # a label:NAME column of a set the project did not have makes it: say so (a typo shows)
            print(f"New label set(s) from the file's label:NAME columns: {', '.join(new_sets)}")
        for line in report.unmatched:
            print(f"  {line}", file=sys.stderr)
    return 0


_HANDLERS = {
    "set": _set, "clear": _clear, "add": _add, "rename": _rename, "delete": _delete,
    "merge": _merge, "export": _export, "import": _import, "attributes": _attributes, "sets": _sets,
}
