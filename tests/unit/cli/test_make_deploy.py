"""``make deploy``: preflight first, and the live routing saved before ``sam deploy`` and put back after it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from leadloop_cli.preflight.samtarget import target_options
from tests.support.template import REPO_ROOT


def test_samconfig_gives_routing_backup_the_stack_sam_deploys(tmp_path: Path):
    assert target_options("prod", REPO_ROOT / "samconfig.toml") == ["--stack-name", "leadloop-prod"]
    config = tmp_path / "samconfig.toml"
    config.write_text('[qa.deploy.parameters]\nstack_name = "ll-qa"\nregion = "eu-west-1"\nprofile = "qa"\n')
    assert target_options("qa", config) == ["--stack-name", "ll-qa", "--region", "eu-west-1", "--profile", "qa"]


def test_deploy_runs_preflight_then_wraps_sam_deploy_in_routing_backup_and_restore():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAKE")}
    dry = subprocess.run(
        ["make", "--no-print-directory", "-n", "deploy", "STAGE=prod"],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    steps = [
        "leadloop preflight --config-env prod",
        "sam build --config-env prod",
        "leadloop routing backup .aws-sam/routing-backup-prod.json --stack-name leadloop-prod",
        "sam deploy --config-env prod  || rc=$?",
        "leadloop routing restore .aws-sam/routing-backup-prod.json --stack-name leadloop-prod || { rc=1;",
        "exit $rc",
    ]
    places = [dry.find(step) for step in steps]
    assert -1 not in places and places == sorted(places), dry
