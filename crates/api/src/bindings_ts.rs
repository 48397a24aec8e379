//! The TypeScript declarations of every type that crosses IPC (`ui/src/ipc/bindings.ts`).

use ts_rs::TS;

/// Every wire type's declaration, in a stable order, plus `extra` (the window's own few types).
/// 64-bit integers are sent as JSON numbers, so they are declared `number`.
pub fn bindings(extra: &[String]) -> String {
    use crate::*;
    let decls = [
        // what ts-rs names serde_json::Value (props of entities, relations, trace nodes)
        "type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]?: JsonValue } | null;".to_string(),
        error::ErrorCode::decl(),
        error::ErrorReply::decl(),
        cb_domain::NodeId::decl(),
        cb_domain::Severity::decl(),
        cb_domain::Counts::decl(),
        case::Stats::decl(),
        case::CaseInfo::decl(),
        queue::QueueSort::decl(),
        queue::AlertRow::decl(),
        queue::IncidentRow::decl(),
        queue::EntityRow::decl(),
        queue::Queue::decl(),
        cb_store::RelationRow::decl(),
        show::NodeDetail::decl(),
        explore::QueryInfo::decl(),
        explore::NodeView::decl(),
        explore::EdgeView::decl(),
        explore::Expansion::decl(),
        explore::NodeQueries::decl(),
        explore::PathRequest::decl(),
        investigations::MapNode::decl(),
        investigations::TimeScope::decl(),
        investigations::MapState::decl(),
        investigations::Position::decl(),
        investigations::MapOp::decl(),
        investigations::InvestigationSummary::decl(),
        investigations::GroupKey::decl(),
        investigations::GroupInfo::decl(),
        investigations::MapGroup::decl(),
        investigations::GroupPosition::decl(),
        cb_graph::groups::Named::decl(),
        investigations::Member::decl(),
        investigations::MemberPage::decl(),
        pane::NeighbourCounts::decl(),
        pane::Linked::decl(),
        pane::ProvenanceFile::decl(),
        pane::Overview::decl(),
        pane::TimelineRequest::decl(),
        pane::SourceCount::decl(),
        pane::Bucket::decl(),
        pane::TimelineItem::decl(),
        pane::TimelinePage::decl(),
        triage::TriageRequest::decl(),
        cb_store::triage::Note::decl(),
        cb_store::triage::MarkedRelated::decl(),
        cb_store::TriageState::decl(),
        triage::TriageInfo::decl(),
        triage::Triaged::decl(),
        activity::ActivityEntry::decl(),
        activity::Activity::decl(),
        search::Hit::decl(),
        search::SearchRequest::decl(),
        search::SyntaxProblem::decl(),
        search::SearchReply::decl(),
        import::Progress::decl(),
        import::ImportProgress::decl(),
        cb_store::SkippedRecord::decl(),
        import::FileReport::decl(),
        import::ImportCandidate::decl(),
        import::ImportReply::decl(),
        correlate::DerivedIncident::decl(),
        correlate::IncidentEdit::decl(),
        sources::SourceRow::decl(),
        sources::SourceList::decl(),
        cb_store::Finding::decl(),
        cb_store::KeyInfo::decl(),
        verify::SourceCheck::decl(),
        verify::SealCheck::decl(),
        verify::VerifyReport::decl(),
        cb_store::RuleRef::decl(),
        trace::TraceNode::decl(),
        trace::TraceEdge::decl(),
        trace::Evidence::decl(),
        trace::TraceStep::decl(),
        trace::Trace::decl(),
        trace::Forward::decl(),
    ];
    let mut out = String::from(
        "// GENERATED from the cb-api wire types by `cargo test -p caseboard-app bindings` — do not edit.\n\
         // Regenerate: UPDATE_BINDINGS=1 cargo test -p caseboard-app --features custom-protocol bindings\n\n",
    );
    for d in decls.iter().chain(extra) {
        out.push_str("export ");
        out.push_str(&d.replace("bigint", "number"));
        out.push_str("\n\n");
    }
    out
}
