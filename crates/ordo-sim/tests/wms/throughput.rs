//! The generic warehouse under Ordo's benchmark load: submits sent at a fixed 1,000 a
//! second, each answered and then followed by its four callbacks. It prints the answer
//! latency and the CPU it all cost. It takes a while in a debug build, so it runs only
//! when `ORDO_WMS_THROUGHPUT` is set (best with `--release`).

use std::time::{Duration, Instant};

use ordo_sim::WmsKind;
use tokio::time::MissedTickBehavior;

use crate::common::{Receiver, TOKEN, client, config, fulfilment_request, start};

/// Submits a second, as in Ordo's benchmark.
const RATE_PER_SECOND: u64 = 1_000;
/// Length of the run.
const RUN: Duration = Duration::from_secs(10);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generic_warehouse_keeps_up_with_a_thousand_submits_a_second() {
    if std::env::var_os("ORDO_WMS_THROUGHPUT").is_none() {
        return;
    }
    let receiver = Receiver::start().await;
    let sim = start(config(WmsKind::Generic, Some(&receiver.url))).await;
    let http = client();
    let url = format!("{}/fulfilments", sim.url());
    let submits = (RATE_PER_SECOND * RUN.as_secs()) as usize;
    let mut tick = tokio::time::interval(Duration::from_micros(1_000_000 / RATE_PER_SECOND));
    // A late tick sends the missed submits at once, so the offered load stays 1,000 a second.
    tick.set_missed_tick_behavior(MissedTickBehavior::Burst);
    let (started, cpu_before) = (Instant::now(), process_cpu());
    let mut sent = Vec::with_capacity(submits);
    for i in 0..submits {
        tick.tick().await;
        let (http, url) = (http.clone(), url.clone());
        sent.push(tokio::spawn(async move {
            let body = fulfilment_request(&format!("load-{i}"), None);
            let at = Instant::now();
            let response = http.post(&url).bearer_auth(TOKEN).json(&body).send().await.unwrap();
            assert_eq!(response.status(), 201);
            at.elapsed()
        }));
    }
    let mut latencies = Vec::with_capacity(submits);
    for task in sent {
        latencies.push(task.await.unwrap());
    }
    let elapsed = started.elapsed();
    let waited = Instant::now();
    while sim.stats().callbacks_sent < 4 * submits as u64 && waited.elapsed() < Duration::from_secs(30) {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cpu = process_cpu().zip(cpu_before).map(|(after, before)| after - before);
    latencies.sort();
    let (p50, p99) = (latencies[submits / 2], latencies[submits * 99 / 100]);
    let rate = submits as f64 / elapsed.as_secs_f64();
    println!(
        "{submits} submits in {elapsed:?} ({rate:.0}/s): answer p50 {p50:?}, p99 {p99:?}, max {:?}",
        latencies[submits - 1]
    );
    if let Some(cpu) = cpu {
        let per_submit = cpu / submits as u32;
        println!("process CPU {cpu:?}: {per_submit:?} a submit with its four callbacks, senders and receiver included");
    }
    assert_eq!(sim.received().len(), submits);
    assert_eq!(sim.stats().callbacks_sent, 4 * submits as u64, "{:?}", sim.stats());
}

/// CPU time this process has used (senders, simulator and receiver together), from
/// `/proc/self/stat`; `None` where there is no such file.
fn process_cpu() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // Linux reports in USER_HZ, 100 a second on every common configuration.
    Some(Duration::from_millis(ticks * 10))
}
