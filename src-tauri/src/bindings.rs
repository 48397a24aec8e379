//! `ui/src/ipc/bindings.ts` is generated from the cb-api wire types (and the window's two
//! own types); the test fails when the committed file is stale.

#[cfg(test)]
mod tests {
    use ts_rs::TS;

    fn bindings() -> String {
        let extra = [
            crate::case::OpenedCase::decl(),
            crate::case::StartInfo::decl(),
        ];
        cb_api::bindings(&extra)
    }

    /// Fails when ui/src/ipc/bindings.ts no longer matches the Rust types.
    #[test]
    fn bindings_are_fresh() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/ipc/bindings.ts");
        let want = bindings();
        if std::env::var_os("UPDATE_BINDINGS").is_some() {
            std::fs::write(&path, &want).unwrap();
            return;
        }
        let have = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            have == want,
            "{} is stale: run `UPDATE_BINDINGS=1 cargo test -p caseboard-app --features custom-protocol bindings`",
            path.display()
        );
    }
}
