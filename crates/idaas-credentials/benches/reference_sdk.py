"""The reference SDK's cached call, timed: `get_bearer_token()` of a
`cloud-idaas-core` machine provider (client_secret_basic) whose token was
fetched once from the token endpoint given on the command line (the Rust
benchmark's emulator, on loopback). Prints one JSON object: the median ns per
call over batches, and the SDK's version.

usage: python reference_sdk.py TOKEN_ENDPOINT CLIENT_ID CLIENT_SECRET SCOPE
(run by `cargo xtask bench cache`, with `cloud-idaas-core` pinned)
"""

import json
import statistics
import sys
import time
from importlib.metadata import version

from cloud_idaas.core.implementation.idaas_machine_credential_provider import (
    IDaaSMachineCredentialProvider,
)
from cloud_idaas.core.constants import TokenAuthnMethod

BATCH = 2_000
BATCHES = 40


def main() -> None:
    endpoint, client_id, secret, scope = sys.argv[1:5]
    provider = (
        IDaaSMachineCredentialProvider.builder()
        .client_id(client_id)
        .scope(scope)
        .token_endpoint(endpoint)
        .authn_method(TokenAuthnMethod.CLIENT_SECRET_BASIC)
        .client_secret_supplier(lambda: secret)
        .build()
    )
    token = provider.get_bearer_token()  # the one fetch
    assert token, "no token from the endpoint"
    samples = []
    call = provider.get_bearer_token
    for _ in range(BATCHES):
        start = time.perf_counter_ns()
        for _ in range(BATCH):
            call()
        samples.append((time.perf_counter_ns() - start) / BATCH)
    assert call() == token, "the calls were cache hits"
    print(
        json.dumps(
            {
                "ns_per_call_median": statistics.median(samples),
                "cloud_idaas_core": version("cloud-idaas-core"),
                "python": sys.version.split()[0],
                "batches": BATCHES,
                "calls_per_batch": BATCH,
            }
        )
    )


if __name__ == "__main__":
    main()
