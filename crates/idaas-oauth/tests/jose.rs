//! JWT verification: every rejection case, JWKs and thumbprints.

use std::time::Duration;

use idaas_oauth::jose::*;
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

const NOW: Duration = Duration::from_secs(1_700_000_000);

fn claims() -> Value {
    json!({"iss": "https://idp", "aud": ["api", "other"], "sub": "u1", "iat": 1_700_000_000u64, "exp": 1_700_000_600u64})
}

fn validation() -> Validation {
    Validation {
        issuer: Some("https://idp".into()),
        audience: Some("api".into()),
        ..Validation::default()
    }
}

fn signed(key: &SigningKey, kid: Option<&str>, claims: &Value) -> String {
    let header = JwtHeader {
        typ: Some("JWT".into()),
        kid: kid.map(str::to_owned),
        ..JwtHeader::default()
    };
    sign_jwt(key, &header, claims).unwrap()
}

#[test]
fn every_algorithm_round_trips_through_its_public_jwk() {
    for (file, alg) in [
        ("rsa2048-pkcs8.pem", Algorithm::RS256),
        ("rsa2048-pkcs8.pem", Algorithm::PS512),
        ("rsa4096-pkcs8.pem", Algorithm::RS512),
        ("p256-sec1.pem", Algorithm::ES256),
        ("p384-sec1.pem", Algorithm::ES384),
        ("ed25519-pkcs8.pem", Algorithm::EdDSA),
    ] {
        let key = SigningKey::from_pem(&fixture(file))
            .unwrap()
            .with_algorithm(alg)
            .unwrap();
        let jwk = public_jwk(&key).unwrap();
        assert!(jwk.get("d").is_none(), "public members only");
        let kid = jwk["kid"].as_str().unwrap().to_owned();
        assert_eq!(jwk_thumbprint(&jwk).as_deref(), Some(kid.as_str()));
        let verifier = VerifyingKey::from_jwk(&jwk).unwrap();
        let token = signed(&key, Some(&kid), &claims());
        let got = verify_jwt(&token, &[verifier], &validation(), NOW)
            .unwrap_or_else(|e| panic!("{file} {alg}: {e}"));
        assert_eq!(got["sub"], "u1");
    }
    let hmac =
        SigningKey::hmac("secret-secret-secret-secret-32by".into(), Algorithm::HS512).unwrap();
    let token = signed(&hmac, None, &claims());
    verify_jwt(
        &token,
        &[VerifyingKey::hmac(
            "secret-secret-secret-secret-32by".into(),
        )],
        &validation(),
        NOW,
    )
    .unwrap();
    assert!(
        public_jwk(&hmac).is_none(),
        "symmetric keys are never published"
    );
}

#[test]
fn rfc7638_thumbprint_example() {
    let jwk = json!({
        "kty": "RSA",
        "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29"
    });
    assert_eq!(
        jwk_thumbprint(&jwk).as_deref(),
        Some("NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs")
    );
}

#[test]
fn every_rejection_case() {
    let rsa = SigningKey::from_pem(&fixture("rsa2048-pkcs8.pem")).unwrap();
    let rsa_public = verifying_key(&rsa).unwrap();
    let kid = rsa_public.kid().unwrap().to_owned();
    let keys = [rsa_public.clone()];
    let good = signed(&rsa, Some(&kid), &claims());
    verify_jwt(&good, &keys, &validation(), NOW).unwrap();

    // bad signature
    let mut tampered = good.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    assert_eq!(
        verify_jwt(&tampered, &keys, &validation(), NOW).unwrap_err(),
        JwtError::BadSignature
    );
    let other = SigningKey::from_pem(&fixture("rsa4096-pkcs8.pem"))
        .unwrap()
        .with_algorithm(Algorithm::RS256)
        .unwrap();
    let forged = signed(&other, Some(&kid), &claims());
    assert_eq!(
        verify_jwt(&forged, &keys, &validation(), NOW).unwrap_err(),
        JwtError::BadSignature
    );

    // alg none
    let parts: Vec<&str> = good.split('.').collect();
    let none_header = b64url(br#"{"alg":"none","kid":"x"}"#);
    let none = format!("{none_header}.{}.", parts[1]);
    let kid_none = rsa_public.clone().with_kid("x");
    assert!(matches!(
        verify_jwt(&none, &[kid_none], &validation(), NOW).unwrap_err(),
        JwtError::AlgorithmNotAllowed { .. }
    ));

    // HS256 signed with the RSA public key's bytes: algorithm confusion
    let confusion_key = SigningKey::hmac(
        String::from_utf8_lossy(&rsa.public_key_der().unwrap())
            .into_owned()
            .into(),
        Algorithm::HS256,
    )
    .unwrap();
    let confused = signed(&confusion_key, Some(&kid), &claims());
    assert!(matches!(
        verify_jwt(&confused, &keys, &validation(), NOW).unwrap_err(),
        JwtError::AlgorithmNotAllowed { key: "RSA", .. }
    ));

    // expired, not yet valid, issued in the future — beyond the 60 s leeway
    let mut c = claims();
    c["exp"] = json!(1_700_000_000u64 - 61);
    assert!(matches!(
        verify_jwt(&signed(&rsa, Some(&kid), &c), &keys, &validation(), NOW),
        Err(JwtError::Expired { .. })
    ));
    c["exp"] = json!(1_700_000_000u64 - 59);
    assert!(
        verify_jwt(&signed(&rsa, Some(&kid), &c), &keys, &validation(), NOW).is_ok(),
        "within leeway"
    );
    let mut c = claims();
    c["nbf"] = json!(1_700_000_000u64 + 120);
    assert!(matches!(
        verify_jwt(&signed(&rsa, Some(&kid), &c), &keys, &validation(), NOW),
        Err(JwtError::NotYetValid { .. })
    ));
    let mut c = claims();
    c["iat"] = json!(1_700_000_000u64 + 120);
    assert!(matches!(
        verify_jwt(&signed(&rsa, Some(&kid), &c), &keys, &validation(), NOW),
        Err(JwtError::IssuedInFuture { .. })
    ));
    let mut c = claims();
    c.as_object_mut().unwrap().remove("exp");
    assert_eq!(
        verify_jwt(&signed(&rsa, Some(&kid), &c), &keys, &validation(), NOW).unwrap_err(),
        JwtError::MissingClaim("exp")
    );

    // wrong iss / aud
    let mut c = claims();
    c["iss"] = json!("https://evil");
    assert!(matches!(
        verify_jwt(&signed(&rsa, Some(&kid), &c), &keys, &validation(), NOW),
        Err(JwtError::WrongIssuer { .. })
    ));
    let mut c = claims();
    c["aud"] = json!("someone-else");
    assert!(matches!(
        verify_jwt(&signed(&rsa, Some(&kid), &c), &keys, &validation(), NOW),
        Err(JwtError::WrongAudience { .. })
    ));

    // unknown kid
    let unknown = signed(&rsa, Some("rotated-away"), &claims());
    assert_eq!(
        verify_jwt(&unknown, &keys, &validation(), NOW).unwrap_err(),
        JwtError::UnknownKey(Some("rotated-away".into()))
    );

    // an EC key never verifies an RSA alg, and vice versa
    let ec = SigningKey::from_pem(&fixture("p256-pkcs8.pem")).unwrap();
    let ec_public = verifying_key(&ec).unwrap();
    assert!(!ec_public.allows(Algorithm::RS256) && !ec_public.allows(Algorithm::HS256));
    assert!(!rsa_public.allows(Algorithm::ES256) && !rsa_public.allows(Algorithm::HS256));
}

#[test]
fn malformed_tokens_and_jwks_never_panic() {
    for token in [
        "",
        ".",
        "..",
        "a.b.c",
        "a.b.c.d",
        "e30.e30.",
        "W10.e30.AA",
        "e30.W10.AA",
        "eyJhbGciOiJub25lIn0.e30.%%",
    ] {
        assert!(verify_jwt(token, &[], &Validation::default(), NOW).is_err());
    }
    for jwk in [
        json!(null),
        json!({"kty": "RSA"}),
        json!({"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA"}),
        json!({"kty": "EC", "crv": "P-521", "x": "AA", "y": "AA"}),
        json!({"kty": "oct", "k": "c2VjcmV0"}),
        json!({"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": "AQAB"}),
    ] {
        assert!(VerifyingKey::from_jwk(&jwk).is_err(), "{jwk}");
    }
}

/// A compact JWS with any header, signed by `key`.
fn with_header(key: &SigningKey, header: &Value, claims: &Value) -> String {
    let input = format!(
        "{}.{}",
        b64url(header.to_string().as_bytes()),
        b64url(claims.to_string().as_bytes())
    );
    let sig = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", b64url(&sig))
}

#[test]
fn critical_extensions_are_refused_and_only_the_signed_header_counts() {
    let key =
        SigningKey::hmac("a-secret-of-32-bytes-or-more-....".into(), Algorithm::HS256).unwrap();
    let hmac = VerifyingKey::hmac("a-secret-of-32-bytes-or-more-....".into());
    let keys = [hmac.clone()];
    // RFC 7515 §4.1.11: an extension we do not understand is fatal
    let crit = with_header(
        &key,
        &json!({"alg": "HS256", "crit": ["exp"], "exp": 1}),
        &claims(),
    );
    assert!(matches!(
        verify_jwt(&crit, &keys, &validation(), NOW).unwrap_err(),
        JwtError::Malformed(m) if m.contains("crit")
    ));
    let plain = with_header(&key, &json!({"alg": "HS256"}), &claims());
    verify_jwt(&plain, &keys, &validation(), NOW).unwrap();
    // editing the decoded header changes nothing: the checks read the
    // header the signature covers
    let mut jws = decode_jws(&plain).unwrap();
    jws.header.insert("alg".into(), json!("RS256"));
    jws.header.insert("crit".into(), json!(["x"]));
    jws.verify(&hmac).unwrap();
    let mut jws = decode_jws(&crit).unwrap();
    jws.header.remove("crit");
    assert!(jws.verify(&hmac).is_err());
    // an unknown or missing alg is not allowed, and says which
    let unknown = with_header(&key, &json!({"alg": "HS257"}), &claims());
    assert!(matches!(
        decode_jws(&unknown).unwrap().verify(&hmac).unwrap_err(),
        JwtError::AlgorithmNotAllowed { alg, key: "oct" } if alg == "HS257"
    ));
    let missing = with_header(&key, &json!({"typ": "JWT"}), &claims());
    assert!(matches!(
        decode_jws(&missing).unwrap().verify(&hmac).unwrap_err(),
        JwtError::AlgorithmNotAllowed { alg, .. } if alg.is_empty()
    ));
}
