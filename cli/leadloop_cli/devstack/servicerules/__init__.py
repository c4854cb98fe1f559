"""Service-side rules AWS enforces and moto does not: the local stack refuses what AWS would refuse.

Each module encodes one service's documented behaviour as a pure check the provisioner (and the
infra tests) call, so a template that passes locally is one AWS accepts too.
"""
