from __future__ import annotations

from core.cli.output import print_json
from core.project import Project

NAME = "new"
HELP = "Create a project folder."


def add_arguments(p) -> None:
    p.add_argument("dir", metavar="DIR", help="folder to create (must be new or empty)")
    p.add_argument("--task", required=True, choices=["image", "audio", "text"], help="what the samples are")
    p.add_argument("--name", help="display name (default: the folder name)")
    p.add_argument("--sample-rate", type=int, default=16000, help="audio projects: sample rate in Hz (default 16000)")
    p.add_argument("--seed", type=int, default=0, help="seed for the train/val/test split (default 0)")
    p.add_argument("--json", action="store_true", help="print the result as JSON")


def run(args) -> int:
    with Project.create(args.dir, args.task, args.name, sample_rate=args.sample_rate, seed=args.seed) as project:
        if args.json:
            print_json({"path": str(project.root), "name": project.name, "task": project.task})
        else:
            print(f"Created {project.task} project '{project.name}' in {project.root}")
            print(f"Next: transferlab import {project.root} FOLDER_OF_{project.task.upper()}S"
                  + (" (or a .csv, .tsv or .jsonl listing of texts)" if project.task == "text" else ""))
    return 0
