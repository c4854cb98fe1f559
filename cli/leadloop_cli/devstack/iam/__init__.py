"""IAM in the local stack: roles built as SAM builds them, enforced by moto, one identity per caller.

- :mod:`.sam_roles` expands a function's or state machine's ``Policies`` exactly as SAM does;
- :mod:`.managed` holds the AWS managed policies SAM attaches;
- :mod:`.moto_policy` rewrites a policy so moto's evaluator decides as AWS would (where it can);
- :mod:`.roles` creates the roles and attaches their policies while provisioning;
- :mod:`.identities` makes the admin user and the roles' sessions;
- :mod:`.sessions` gives each function (and Step Functions) its role's session;
- :mod:`.sfn_identity` makes Step Functions tasks sign with the state machine's role.
"""
