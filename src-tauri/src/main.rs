//! The Caseboard window. This crate only wires Tauri to the core: commands (commands.rs),
//! the IPC shapes (wire.rs), the `{code, message}` error (error.rs) and the window's own
//! small config (config.rs). Everything the window does, the core crates do.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

mod commands;
mod config;
mod error;
mod wire;
mod work;

use tauri::Manager;

fn main() {
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .manage(commands::AppState::default())
        .manage(work::WorkState::default())
        .setup(|app| {
            let dir = std::env::var_os("CASEBOARD_CONFIG_DIR")
                .map(std::path::PathBuf::from)
                .or_else(|| app.path().app_config_dir().ok());
            *app.state::<commands::AppState>()
                .config_dir
                .lock()
                .expect("fresh lock") = dir;
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::app_start,
            commands::open_case,
            commands::create_case,
            commands::case_info_cmd,
            commands::queue,
            commands::node_detail,
            commands::remember_investigation,
            commands::map_queries,
            commands::investigation_start,
            commands::investigation_get,
            commands::investigation_apply,
            commands::investigation_undo,
            commands::investigation_redo,
            commands::technique_names,
            commands::report,
            work::triage,
            work::triage_state,
            work::mark_related,
            work::activity,
            work::search,
            work::import_candidates,
            work::import_file,
            work::import_cancel,
            work::sources,
            work::find_path,
            work::save_file,
        ])
        .run(tauri::generate_context!())
        .expect("error while running the Caseboard window");
}
