//! Assertion signing and JWT verification per algorithm: our `SigningKey` /
//! `VerifyingKey` beside the raw backends on the same bytes — `ring`,
//! OpenSSL (through `josekit`, keys parsed once) — and the `jsonwebtoken`
//! crate, in the same run; and DPoP proofs (RFC 9449: claims, encoding and
//! the signature) beside the backend's bare signature. Figures go to `target/bench/oauth.json`, each with
//! the ratio of ours to the fastest peer.

#[path = "support/figures.rs"]
mod figures;

use std::collections::BTreeMap;
use std::hint::black_box;
use std::time::Duration;

use criterion::Criterion;
use idaas_oauth::jose::{
    Algorithm, JwtHeader, SigningKey, VerifyingKey, b64url, decode_jws, public_jwk, sign_jwt,
};
use ring::rand::SystemRandom;
use ring::signature::{self as rs, KeyPair as _};
use serde_json::{Value, json};

fn fixture(name: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/tests/fixtures/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn der(name: &str) -> Vec<u8> {
    pem::parse(fixture(name)).unwrap().into_contents()
}

const HMAC_SECRET: &str = "bench-secret-bench-secret-bench-secret-64-bytes-long-0123456789a";

/// A raw `ring` signer of the signing input.
type RingSign = Box<dyn Fn(&[u8]) -> Vec<u8>>;
/// A raw `ring` verifier of (signing input, signature).
type RingVerify = Box<dyn Fn(&[u8], &[u8]) -> bool>;

/// A signer and verifier per backend, all over the same key.
struct Case {
    alg: Algorithm,
    ours: SigningKey,
    ring_sign: Option<RingSign>,
    openssl_sign: Option<Box<dyn josekit::jws::JwsSigner>>,
    jwt_sign: Option<(jsonwebtoken::EncodingKey, jsonwebtoken::Algorithm)>,
    ring_verify: Option<RingVerify>,
    openssl_verify: Option<Box<dyn josekit::jws::JwsVerifier>>,
    jwt_verify: Option<(jsonwebtoken::DecodingKey, jsonwebtoken::Algorithm)>,
}

fn cases() -> Vec<Case> {
    let rng = SystemRandom::new();
    let mut out = Vec::new();
    // HMAC
    {
        let secret = HMAC_SECRET.as_bytes().to_vec();
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret);
        let key2 = key.clone();
        out.push(Case {
            alg: Algorithm::HS256,
            ours: SigningKey::hmac(HMAC_SECRET.into(), Algorithm::HS256).unwrap(),
            ring_sign: Some(Box::new(move |m| {
                ring::hmac::sign(&key, m).as_ref().to_vec()
            })),
            openssl_sign: Some(Box::new(
                josekit::jws::HS256.signer_from_bytes(&secret).unwrap(),
            )),
            jwt_sign: Some((
                jsonwebtoken::EncodingKey::from_secret(&secret),
                jsonwebtoken::Algorithm::HS256,
            )),
            ring_verify: Some(Box::new(move |m, s| {
                ring::hmac::verify(&key2, m, s).is_ok()
            })),
            openssl_verify: Some(Box::new(
                josekit::jws::HS256.verifier_from_bytes(&secret).unwrap(),
            )),
            jwt_verify: Some((
                jsonwebtoken::DecodingKey::from_secret(&secret),
                jsonwebtoken::Algorithm::HS256,
            )),
        });
    }
    // RSA (2048): RS256 and PS256
    for (alg, ring_pad, ring_ver, jose_rs, jwt_alg) in [
        (
            Algorithm::RS256,
            &rs::RSA_PKCS1_SHA256 as &'static dyn rs::RsaEncoding,
            &rs::RSA_PKCS1_2048_8192_SHA256,
            true,
            jsonwebtoken::Algorithm::RS256,
        ),
        (
            Algorithm::PS256,
            &rs::RSA_PSS_SHA256,
            &rs::RSA_PSS_2048_8192_SHA256,
            false,
            jsonwebtoken::Algorithm::PS256,
        ),
    ] {
        let pkcs8 = der("rsa2048-pkcs8.pem");
        let pkcs1 = der("rsa2048-pkcs1.pem");
        let ours = SigningKey::from_pkcs8(&pkcs8)
            .unwrap()
            .with_algorithm(alg)
            .unwrap();
        let pair = rs::RsaKeyPair::from_pkcs8(&pkcs8).unwrap();
        let public = pair.public().as_ref().to_vec();
        let rng2 = rng.clone();
        let jwk = public_jwk(&ours).unwrap();
        out.push(Case {
            alg,
            ours,
            ring_sign: Some(Box::new(move |m| {
                let mut sig = vec![0; pair.public().modulus_len()];
                pair.sign(ring_pad, &rng2, m, &mut sig).unwrap();
                sig
            })),
            // josekit's PS* wants RSA-PSS (not rsaEncryption) keys: no peer
            openssl_sign: jose_rs.then(|| {
                Box::new(josekit::jws::RS256.signer_from_der(&pkcs8).unwrap())
                    as Box<dyn josekit::jws::JwsSigner>
            }),
            jwt_sign: Some((jsonwebtoken::EncodingKey::from_rsa_der(&pkcs1), jwt_alg)),
            ring_verify: Some(Box::new(move |m, s| {
                rs::UnparsedPublicKey::new(ring_ver, &public)
                    .verify(m, s)
                    .is_ok()
            })),
            openssl_verify: jose_rs.then(|| {
                Box::new(
                    josekit::jws::RS256
                        .verifier_from_pem(fixture("rsa2048-public.pem"))
                        .unwrap(),
                ) as Box<dyn josekit::jws::JwsVerifier>
            }),
            jwt_verify: Some((jwt_decoding(&jwk), jwt_alg)),
        });
    }
    // EC P-256 / P-384
    for (alg, file, ring_sig, ring_ver, jose, jwt_alg) in [
        (
            Algorithm::ES256,
            "p256-pkcs8.pem",
            &rs::ECDSA_P256_SHA256_FIXED_SIGNING,
            &rs::ECDSA_P256_SHA256_FIXED,
            josekit::jws::ES256,
            jsonwebtoken::Algorithm::ES256,
        ),
        (
            Algorithm::ES384,
            "p384-pkcs8.pem",
            &rs::ECDSA_P384_SHA384_FIXED_SIGNING,
            &rs::ECDSA_P384_SHA384_FIXED,
            josekit::jws::ES384,
            jsonwebtoken::Algorithm::ES384,
        ),
    ] {
        let pkcs8 = der(file);
        let ours = SigningKey::from_pkcs8(&pkcs8).unwrap();
        let pair = rs::EcdsaKeyPair::from_pkcs8(ring_sig, &pkcs8, &rng).unwrap();
        let public = pair.public_key().as_ref().to_vec();
        let rng2 = rng.clone();
        let jwk = public_jwk(&ours).unwrap();
        let jose_pair = jose.key_pair_from_der(&pkcs8).unwrap();
        use josekit::jwk::KeyPair as _;
        out.push(Case {
            alg,
            ours,
            ring_sign: Some(Box::new(move |m| {
                pair.sign(&rng2, m).unwrap().as_ref().to_vec()
            })),
            openssl_sign: Some(Box::new(jose.signer_from_der(&pkcs8).unwrap())),
            jwt_sign: Some((jsonwebtoken::EncodingKey::from_ec_der(&pkcs8), jwt_alg)),
            ring_verify: Some(Box::new(move |m, s| {
                rs::UnparsedPublicKey::new(ring_ver, &public)
                    .verify(m, s)
                    .is_ok()
            })),
            openssl_verify: Some(Box::new(
                jose.verifier_from_der(jose_pair.to_der_public_key())
                    .unwrap(),
            )),
            jwt_verify: Some((jwt_decoding(&jwk), jwt_alg)),
        });
    }
    // EC P-521: OpenSSL only (ring lacks it, jsonwebtoken too)
    {
        let pkcs8 = der("p521-pkcs8.pem");
        let ours = SigningKey::from_pkcs8(&pkcs8).unwrap();
        let pair = josekit::jws::ES512.key_pair_from_der(&pkcs8).unwrap();
        use josekit::jwk::KeyPair as _;
        out.push(Case {
            alg: Algorithm::ES512,
            ours,
            ring_sign: None,
            openssl_sign: Some(Box::new(
                josekit::jws::ES512.signer_from_der(&pkcs8).unwrap(),
            )),
            jwt_sign: None,
            ring_verify: None,
            openssl_verify: Some(Box::new(
                josekit::jws::ES512
                    .verifier_from_der(pair.to_der_public_key())
                    .unwrap(),
            )),
            jwt_verify: None,
        });
    }
    // Ed25519
    {
        let pkcs8 = der("ed25519-pkcs8.pem");
        let ours = SigningKey::from_pkcs8(&pkcs8).unwrap();
        let pair = rs::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&pkcs8).unwrap();
        let public = pair.public_key().as_ref().to_vec();
        let jwk = public_jwk(&ours).unwrap();
        let jose_pair = josekit::jws::EdDSA.key_pair_from_der(&pkcs8).ok();
        use josekit::jwk::KeyPair as _;
        out.push(Case {
            alg: Algorithm::EdDSA,
            ours,
            ring_sign: Some(Box::new(move |m| pair.sign(m).as_ref().to_vec())),
            openssl_sign: josekit::jws::EdDSA
                .signer_from_der(&pkcs8)
                .ok()
                .map(|s| Box::new(s) as Box<dyn josekit::jws::JwsSigner>),
            jwt_sign: Some((
                jsonwebtoken::EncodingKey::from_ed_der(&pkcs8),
                jsonwebtoken::Algorithm::EdDSA,
            )),
            ring_verify: Some(Box::new(move |m, s| {
                rs::UnparsedPublicKey::new(&rs::ED25519, &public)
                    .verify(m, s)
                    .is_ok()
            })),
            openssl_verify: jose_pair.map(|p| {
                Box::new(
                    josekit::jws::EdDSA
                        .verifier_from_der(p.to_der_public_key())
                        .unwrap(),
                ) as Box<dyn josekit::jws::JwsVerifier>
            }),
            jwt_verify: Some((jwt_decoding(&jwk), jsonwebtoken::Algorithm::EdDSA)),
        });
    }
    out
}

fn jwt_decoding(jwk: &Value) -> jsonwebtoken::DecodingKey {
    let jwk: jsonwebtoken::jwk::Jwk = serde_json::from_value(jwk.clone()).unwrap();
    jsonwebtoken::DecodingKey::from_jwk(&jwk).unwrap()
}

/// Paired ratios of ours to a backend: 101 rounds of ~1 ms batches.
fn paired_ratio(ours: &dyn Fn(), peer: &dyn Fn()) -> f64 {
    figures::paired_ratio(ours, peer, 101, Duration::from_millis(1))
}

/// A DPoP proof (fresh `jti`, normalised `htu`, `iat`; the header is
/// encoded once per key) against the bare signature of the backend our
/// `SigningKey` uses for that algorithm, on an input of the proof's size.
fn dpop_proofs(
    c: &mut Criterion,
    ids: &mut BTreeMap<String, Vec<(&'static str, String)>>,
    paired: &mut BTreeMap<String, serde_json::Map<String, Value>>,
) {
    use idaas_oauth::dpop::DpopKey;
    let rng = SystemRandom::new();
    let url = "https://idp.example.com/oauth2/token";
    let now = Duration::from_secs(1_700_000_000);
    for (alg, file) in [
        (Algorithm::ES256, "p256-pkcs8.pem"),
        (Algorithm::EdDSA, "ed25519-pkcs8.pem"),
        (Algorithm::RS256, "rsa2048-pkcs8.pem"),
    ] {
        let key = DpopKey::from_pem(&fixture(file)).unwrap();
        assert_eq!(key.algorithm(), alg);
        let proof = key.proof("POST", url, None, None, now).unwrap();
        let input =
            proof.expose_secret().as_bytes()[..proof.expose_secret().rfind('.').unwrap()].to_vec();
        let backend: (&'static str, RingSign) = match alg {
            Algorithm::ES256 => {
                let k = rs::EcdsaKeyPair::from_pkcs8(
                    &rs::ECDSA_P256_SHA256_FIXED_SIGNING,
                    &der(file),
                    &rng,
                )
                .unwrap();
                let rng = SystemRandom::new();
                (
                    "ring",
                    Box::new(move |m| k.sign(&rng, m).unwrap().as_ref().to_vec()),
                )
            }
            Algorithm::EdDSA => {
                let k = rs::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&der(file)).unwrap();
                ("ring", Box::new(move |m| k.sign(m).as_ref().to_vec()))
            }
            _ => {
                let s = josekit::jws::RS256
                    .signer_from_pem(fixture(file).as_bytes())
                    .unwrap();
                ("openssl", Box::new(move |m| s.sign(m).unwrap()))
            }
        };
        let group_name = format!("dpop_proof_{alg}");
        let mut group = c.benchmark_group(&group_name);
        group.bench_function("ours", |b| {
            b.iter(|| key.proof("POST", black_box(url), None, None, now).unwrap())
        });
        group.bench_function(backend.0, |b| b.iter(|| (backend.1)(black_box(&input))));
        group.finish();
        ids.insert(
            group_name.clone(),
            vec![
                ("ours", format!("{group_name}/ours")),
                (backend.0, format!("{group_name}/{}", backend.0)),
            ],
        );
        let ours = || {
            black_box(key.proof("POST", black_box(url), None, None, now).unwrap());
        };
        let peer = || {
            black_box((backend.1)(black_box(&input)));
        };
        let mut pairs = serde_json::Map::new();
        pairs.insert(backend.0.into(), json!(paired_ratio(&ours, &peer)));
        paired.insert(group_name, pairs);
    }
}

fn main() {
    let mut c = Criterion::default()
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1200))
        .sample_size(30)
        .configure_from_args();
    let claims = json!({
        "aud": "https://idp.example.com/oauth2/token", "sub": "app_c1", "iss": "app_c1",
        "jti": "7f1a8f65-6c1b-4b52-9a4b-1b0c9f7d4e21", "iat": 1_700_000_000u64, "exp": 1_700_000_600u64,
    });
    let mut ids: BTreeMap<String, Vec<(&'static str, String)>> = BTreeMap::new();
    // paired-sample ratios ours / backend, per group
    let mut paired: BTreeMap<String, serde_json::Map<String, Value>> = BTreeMap::new();
    for case in cases() {
        let alg = case.alg.as_str();
        let header = JwtHeader {
            typ: Some("JWT".into()),
            ..JwtHeader::default()
        };
        let token = sign_jwt(&case.ours, &header, &claims).unwrap();
        let jws = decode_jws(&token).unwrap();
        let input = token.as_bytes()[..token.rfind('.').unwrap()].to_vec();
        let sig =
            idaas_oauth::jose::b64url_decode(&token[token.rfind('.').unwrap() + 1..]).unwrap();
        let verifier: VerifyingKey = match case.alg {
            Algorithm::HS256 => VerifyingKey::hmac(HMAC_SECRET.into()),
            _ => VerifyingKey::from_jwk(&public_jwk(&case.ours).unwrap()).unwrap(),
        };
        let sig_b64 = b64url(&sig);

        let mut group = c.benchmark_group(format!("sign_{alg}"));
        let mut sign_ids = vec![("ours", format!("sign_{alg}/ours"))];
        group.bench_function("ours", |b| {
            b.iter(|| case.ours.sign(black_box(&input)).unwrap())
        });
        if let Some(f) = &case.ring_sign {
            group.bench_function("ring", |b| b.iter(|| f(black_box(&input))));
            sign_ids.push(("ring", format!("sign_{alg}/ring")));
        }
        if let Some(s) = &case.openssl_sign {
            group.bench_function("openssl", |b| b.iter(|| s.sign(black_box(&input)).unwrap()));
            sign_ids.push(("openssl", format!("sign_{alg}/openssl")));
        }
        if let Some((k, a)) = &case.jwt_sign {
            group.bench_function("jsonwebtoken", |b| {
                b.iter(|| jsonwebtoken::crypto::sign(black_box(&input), k, *a).unwrap())
            });
            sign_ids.push(("jsonwebtoken", format!("sign_{alg}/jsonwebtoken")));
        }
        group.bench_function("ours_full_assertion", |b| {
            b.iter(|| sign_jwt(&case.ours, &header, black_box(&claims)).unwrap())
        });
        group.finish();
        ids.insert(format!("sign_{alg}"), sign_ids);
        let ours_sign = || {
            black_box(case.ours.sign(black_box(&input)).unwrap());
        };
        let mut sign_pairs = serde_json::Map::new();
        if let Some(f) = &case.ring_sign {
            let peer = || {
                black_box(f(black_box(&input)));
            };
            sign_pairs.insert("ring".into(), json!(paired_ratio(&ours_sign, &peer)));
        }
        if let Some(sg) = &case.openssl_sign {
            let peer = || {
                black_box(sg.sign(black_box(&input)).unwrap());
            };
            sign_pairs.insert("openssl".into(), json!(paired_ratio(&ours_sign, &peer)));
        }
        paired.insert(format!("sign_{alg}"), sign_pairs);

        let mut group = c.benchmark_group(format!("verify_{alg}"));
        let mut verify_ids = vec![("ours", format!("verify_{alg}/ours"))];
        assert!(jws.verify(&verifier).is_ok());
        group.bench_function("ours", |b| {
            b.iter(|| jws.verify(black_box(&verifier)).unwrap())
        });
        if let Some(f) = &case.ring_verify {
            assert!(f(&input, &sig));
            group.bench_function("ring", |b| b.iter(|| f(black_box(&input), black_box(&sig))));
            verify_ids.push(("ring", format!("verify_{alg}/ring")));
        }
        if let Some(v) = &case.openssl_verify {
            v.verify(&input, &sig).unwrap();
            group.bench_function("openssl", |b| {
                b.iter(|| v.verify(black_box(&input), black_box(&sig)).unwrap())
            });
            verify_ids.push(("openssl", format!("verify_{alg}/openssl")));
        }
        if let Some((k, a)) = &case.jwt_verify {
            assert!(jsonwebtoken::crypto::verify(&sig_b64, &input, k, *a).unwrap());
            group.bench_function("jsonwebtoken", |b| {
                b.iter(|| jsonwebtoken::crypto::verify(black_box(&sig_b64), &input, k, *a).unwrap())
            });
            verify_ids.push(("jsonwebtoken", format!("verify_{alg}/jsonwebtoken")));
        }
        group.finish();
        ids.insert(format!("verify_{alg}"), verify_ids);
        let ours_verify = || {
            jws.verify(black_box(&verifier)).unwrap();
        };
        let mut verify_pairs = serde_json::Map::new();
        if let Some(f) = &case.ring_verify {
            let peer = || {
                assert!(f(black_box(&input), black_box(&sig)));
            };
            verify_pairs.insert("ring".into(), json!(paired_ratio(&ours_verify, &peer)));
        }
        if let Some(v) = &case.openssl_verify {
            let peer = || {
                v.verify(black_box(&input), black_box(&sig)).unwrap();
            };
            verify_pairs.insert("openssl".into(), json!(paired_ratio(&ours_verify, &peer)));
        }
        paired.insert(format!("verify_{alg}"), verify_pairs);
    }
    dpop_proofs(&mut c, &mut ids, &mut paired);
    c.final_summary();

    let target = figures::target_dir();
    let mut figures = serde_json::Map::new();
    for (group, entries) in ids {
        let means: Vec<(&str, f64)> = entries
            .iter()
            .filter_map(|(name, id)| figures::mean_ns(&target, id).map(|m| (*name, m)))
            .collect();
        let Some(ours) = means.iter().find(|(n, _)| *n == "ours").map(|(_, m)| *m) else {
            continue;
        };
        let fastest_peer = means
            .iter()
            .filter(|(n, _)| *n != "ours" && *n != "jsonwebtoken")
            .map(|(_, m)| *m)
            .fold(f64::INFINITY, f64::min);
        let mut entry = serde_json::Map::new();
        for (name, m) in &means {
            entry.insert(format!("{name}_ns"), json!(m));
        }
        if fastest_peer.is_finite() {
            entry.insert(
                "ours_over_fastest_backend".into(),
                json!(ours / fastest_peer),
            );
        }
        if let Some(pairs) = paired.get(&group).filter(|p| !p.is_empty()) {
            // ours ÷ the fastest backend = the largest ratio to any backend
            let worst = pairs
                .values()
                .filter_map(Value::as_f64)
                .fold(0.0_f64, f64::max);
            entry.insert("paired_over_backend".into(), Value::Object(pairs.clone()));
            entry.insert("paired_over_fastest_backend".into(), json!(worst));
        }
        figures.insert(group, Value::Object(entry));
    }
    if figures.is_empty() {
        eprintln!("no criterion estimates found under {}", target.display());
        return;
    }
    let out = target.join("bench");
    std::fs::create_dir_all(&out).expect("create target/bench");
    let json = serde_json::to_string_pretty(&Value::Object(figures)).unwrap();
    std::fs::write(out.join("oauth.json"), &json).expect("write oauth.json");
    println!("{json}");
}
