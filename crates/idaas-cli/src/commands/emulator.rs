//! `idaas emulator [--port N]`: serve until Ctrl-C.

use idaas_emulator::{Client, Emulator};

use crate::exit::{Code, Failure};

pub async fn run(
    port: u16,
    client_id: String,
    client_secret: String,
    json: bool,
) -> Result<Code, Failure> {
    let emulator = Emulator::builder()
        .port(port)
        .client(Client::new(client_id.clone()).with_secret(client_secret))
        .start()
        .await
        .map_err(|e| Failure::new(Code::Network, e.to_string(), json))?;
    if json {
        crate::output::out_json(
            &serde_json::json!({"base_url": emulator.base_url(), "token_endpoint": emulator.token_endpoint(), "client_id": client_id}),
        );
    } else {
        crate::output::out(format_args!(
            "IDaaS emulator listening on {}",
            emulator.base_url()
        ));
        crate::output::out(format_args!(
            "  token endpoint  {}",
            emulator.token_endpoint()
        ));
        crate::output::out(format_args!(
            "  JWKS            {}/oauth2/jwks",
            emulator.base_url()
        ));
        crate::output::out(format_args!(
            "  client          {client_id} (client_secret_basic / _post / _jwt)"
        ));
        crate::output::out("Ctrl-C to stop.");
    }
    let _ = tokio::signal::ctrl_c().await;
    emulator.stop().await;
    Ok(Code::Ok)
}
