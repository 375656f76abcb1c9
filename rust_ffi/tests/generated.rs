//! Drift check: regenerates the C header and the Cython declarations from the Rust source
//! and compares them with the committed copies. `BARTER_FFI_BLESS=1` rewrites them.

use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

fn generate(language: cbindgen::Language) -> String {
    let root = root();
    let mut config = cbindgen::Config::from_file(root.join("cbindgen.toml")).expect("cbindgen.toml");
    config.language = language;
    if language == cbindgen::Language::Cython {
        // The default Cython preamble cimports the fixed-width ints and maps `bool`.
        config.no_includes = false;
        config.sys_includes.clear();
        config.header = config.header.map(|text| {
            text.replace("/* ", "# ")
                .replace(" */", "")
                .replace("cbindgen.toml", "cbindgen.toml (Cython variant)")
        });
    }
    let bindings = cbindgen::Builder::new()
        .with_config(config)
        .with_crate(root.join("rust_ffi"))
        .generate()
        .expect("cbindgen generate");
    let mut out = Vec::new();
    bindings.write(&mut out);
    let text = String::from_utf8(out).unwrap();
    match language {
        // Every declaration in the extern block is callable without the GIL.
        cbindgen::Language::Cython => {
            text.replacen("cdef extern from \"barter_ffi.h\":", "cdef extern from \"barter_ffi.h\" nogil:", 1)
        }
        _ => text,
    }
}

fn check(relative: &str, language: cbindgen::Language) {
    let path = root().join(relative);
    let fresh = generate(language);
    if std::env::var_os("BARTER_FFI_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &fresh).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{relative} is stale: regenerate it with \
         `BARTER_FFI_BLESS=1 cargo test --manifest-path rust_ffi/Cargo.toml --test generated` \
         and commit the result"
    );
}

#[test]
fn c_header_is_up_to_date() {
    check("barter_cy/include/barter_ffi.h", cbindgen::Language::C);
}

#[test]
fn cython_declarations_are_up_to_date() {
    check("barter_cy/_ffi.pxd", cbindgen::Language::Cython);
}
