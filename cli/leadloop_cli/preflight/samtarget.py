"""Print the target options (``--stack-name``, ``--region``, ``--profile``) samconfig.toml gives a config env.

``make deploy`` passes them to ``leadloop routing backup|restore`` so those reach the same stack
``sam deploy --config-env ENV`` deploys: ``python -m leadloop_cli.preflight.samtarget ENV [FILE]``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from leadloop_cli.preflight.parameters import read_samconfig
from leadloop_cli.target import DEFAULT_STACK_NAME


def target_options(config_env: str, path: Path) -> list[str]:
    config = read_samconfig(path, config_env)
    options = ["--stack-name", config.stack_name or DEFAULT_STACK_NAME]
    options += ["--region", config.region] if config.region else []
    options += ["--profile", config.profile] if config.profile else []
    return options


def main(argv: list[str]) -> int:
    if not 1 <= len(argv) <= 2:
        print("usage: python -m leadloop_cli.preflight.samtarget CONFIG_ENV [SAMCONFIG]", file=sys.stderr)
        return 2
    print(" ".join(target_options(argv[0], Path(argv[1] if len(argv) > 1 else "samconfig.toml"))))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
