//! `idaas jwks --keys DIR`: the public JWK set of a key directory.

use std::path::Path;

use idaas::oauth::KeyDirectory;

use crate::exit::{Code, Failure};

pub(super) fn run(dir: &Path, json: bool) -> Result<Code, Failure> {
    let keys = KeyDirectory::load(dir).map_err(|e| Failure::of(&e, json))?;
    for (path, reason) in keys.skipped() {
        crate::output::err(format_args!(
            "skipped {}: {}",
            crate::output::field(&path.display().to_string()),
            crate::output::field(reason)
        ));
    }
    if keys.is_empty() {
        return Err(Failure::new(
            Code::Usage,
            format!("no usable private key in {}", dir.display()),
            json,
        ));
    }
    // the set is JSON either way: it is what a jwt-bearer issuer publishes
    crate::output::out(keys.jwk_set_json());
    Ok(Code::Ok)
}
