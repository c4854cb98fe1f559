"""Run AWS SAM's own transform on a template (stdin JSON → stdout JSON).

Runs under the SAM CLI's virtual environment (``.venv-sam``), which pins aws-sam-translator; the
project's environment cannot hold it beside its own pydantic. Input: ``{"template": {...},
"parameters": {...}}``. Local code and definition paths become S3 URIs, as ``sam package`` would.
"""

import json
import sys

from samtranslator.translator.transform import transform


class _NoManagedPolicies:
    def load(self) -> dict[str, str]:
        return {}


def main() -> None:
    request = json.load(sys.stdin)
    template = request["template"]
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties") or {}
        for key in ("CodeUri", "ContentUri", "DefinitionUri"):
            if isinstance(properties.get(key), str) and not properties[key].startswith("s3://"):
                properties[key] = f"s3://packaged/{logical_id}"
    json.dump(transform(template, request["parameters"], _NoManagedPolicies()), sys.stdout)


if __name__ == "__main__":
    main()
