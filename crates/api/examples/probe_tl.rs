use cb_api::pane::TimelineRequest;
use cb_api::{Actor, Case, NodeId};
fn main() {
    let c = Case::open(std::path::Path::new("/tmp/pane/real.caseboard"), Actor("p".into())).unwrap();
    let h = NodeId::Entity(466);
    let all = cb_api::pane::timeline(&c, &TimelineRequest::of(h)).unwrap();
    let src = all.sources[0].source.clone();
    let one = cb_api::pane::timeline(&c, &TimelineRequest { sources: vec![src.clone()], ..TimelineRequest::of(h) }).unwrap();
    println!("src {src} total {} first {:?} last {:?} secs {} buckets {}", one.total, one.first, one.last, one.bucket_secs, one.buckets.len());
    for b in one.buckets.iter().take(5) { println!("  {} {}", b.from, b.count); }
    println!("items {:?}", one.items.iter().take(3).map(|i| i.time.clone()).collect::<Vec<_>>());
    let f = one.buckets[0].from.clone();
    let t = one.buckets[one.buckets.len()/2].from.clone();
    let br = cb_api::pane::timeline(&c, &TimelineRequest { sources: vec![src.clone()], from: Some(f.clone()), to: Some(t.clone()), ..TimelineRequest::of(h) }).unwrap();
    println!("brush {f} .. {t}: {}", br.total);
}
