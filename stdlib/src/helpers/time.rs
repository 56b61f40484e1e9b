//! `now()`, `today()`, `sleep(d)`, `duration("5m")`.

use std::sync::Arc;
use std::time::Duration;

use rhai::{EvalAltResult, FuncRegistration, ImmutableString, FLOAT, INT};

use crate::{ActionContext, ActionError, Class, Interrupted, Signature};

type RhaiResult<T> = Result<T, Box<EvalAltResult>>;

pub(super) fn register(engine: &mut rhai::Engine, ctx: Arc<ActionContext>) {
    FuncRegistration::new("now")
        .with_volatility(true)
        .register_into_engine(engine, || -> String {
            chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        });
    FuncRegistration::new("today")
        .with_volatility(true)
        .register_into_engine(engine, || -> String {
            chrono::Utc::now().format("%Y-%m-%d").to_string()
        });

    FuncRegistration::new("duration").register_into_engine(
        engine,
        |text: ImmutableString| -> RhaiResult<INT> {
            duration_seconds(&text).map_err(ActionError::into_rhai)
        },
    );

    // These replace Rhai's own `sleep`, which blocks the thread and ignores
    // cancellation and the step's timeout.
    let c = ctx.clone();
    FuncRegistration::new("sleep")
        .with_volatility(true)
        .register_into_engine(engine, move |secs: INT| -> RhaiResult<()> {
            let d = u64::try_from(secs)
                .map(Duration::from_secs)
                .map_err(|_| negative(&secs))?;
            sleep(&c, d)
        });
    let c = ctx.clone();
    FuncRegistration::new("sleep")
        .with_volatility(true)
        .register_into_engine(engine, move |secs: FLOAT| -> RhaiResult<()> {
            let d = Duration::try_from_secs_f64(secs).map_err(|_| negative(&secs))?;
            sleep(&c, d)
        });
    FuncRegistration::new("sleep")
        .with_volatility(true)
        .register_into_engine(engine, move |text: ImmutableString| -> RhaiResult<()> {
            let d = parse_duration(&text).map_err(|e| bad_duration(&text, &e).into_rhai())?;
            sleep(&ctx, d)
        });
}

fn sleep(ctx: &ActionContext, d: Duration) -> RhaiResult<()> {
    // The timer is made inside the runtime: Rhai calls this from a plain thread.
    ctx.block_on(async move { tokio::time::sleep(d).await })
        .map_err(|why| {
            let (code, message) = match why {
                Interrupted::Timeout => (
                    "runbook::run::sleep::timeout",
                    "sleep stopped: the step's timeout elapsed",
                ),
                Interrupted::Cancelled => (
                    "runbook::run::sleep::cancelled",
                    "sleep stopped: the run was cancelled",
                ),
            };
            ActionError::new(code, message).into_rhai()
        })
}

fn negative(value: &dyn std::fmt::Display) -> Box<EvalAltResult> {
    ActionError::new(
        "runbook::run::sleep::invalid",
        format!("cannot sleep for {value} seconds"),
    )
    .with_help("give a number of seconds ≥ 0 or a duration such as \"5s\"")
    .into_rhai()
}

/// `duration("1h30m")` → 5400: whole seconds, as Rhai ints compare with them.
fn duration_seconds(text: &str) -> Result<INT, ActionError> {
    let d = parse_duration(text).map_err(|e| bad_duration(text, &e))?;
    if d.subsec_nanos() != 0 {
        return Err(ActionError::new(
            "runbook::run::duration::invalid",
            format!("`{text}` is not a whole number of seconds"),
        )
        .with_help("duration() returns seconds; sleep(\"…\") accepts milliseconds directly"));
    }
    INT::try_from(d.as_secs()).map_err(|_| bad_duration(text, "too long"))
}

fn bad_duration(text: &str, why: &str) -> ActionError {
    ActionError::new(
        "runbook::run::duration::invalid",
        format!("`{text}` is not a duration: {why}"),
    )
    .with_help("write a number and a unit, repeated: 250ms, 30s, 5m, 1h30m, 2d")
}

/// Parse a duration written as numbers with units, largest first or not:
/// `250ms`, `30s`, `5m`, `1h30m`, `2d`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    if text.is_empty() {
        return Err("it is empty".into());
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(char::is_ascii_digit).count();
        if digits == 0 {
            return Err(format!("expected a number at `{rest}`"));
        }
        let n: u64 = rest[..digits]
            .parse()
            .map_err(|_| "number too large".to_string())?;
        rest = &rest[digits..];
        let unit_len = rest.chars().take_while(char::is_ascii_alphabetic).count();
        let unit = &rest[..unit_len];
        let millis_per_unit: u64 = match unit {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "" => return Err(format!("`{n}` has no unit")),
            other => return Err(format!("unknown unit `{other}`")),
        };
        rest = &rest[unit_len..];
        let millis = n
            .checked_mul(millis_per_unit)
            .ok_or_else(|| "too long".to_string())?;
        total = total
            .checked_add(Duration::from_millis(millis))
            .ok_or_else(|| "too long".to_string())?;
    }
    Ok(total)
}

pub(super) fn signatures() -> Vec<Signature> {
    let read = |name, params: &'static [&'static str], doc| {
        Signature::free_fn(name, params, Class::Read).with_doc(doc)
    };
    vec![
        read("now", &[], "The current time in UTC, RFC 3339 (`2025-01-31T12:00:00Z`)."),
        read("today", &[], "Today's date in UTC (`2025-01-31`)."),
        read(
            "sleep",
            &["duration"],
            "Wait for seconds (int or float) or a duration string; stops at the step's timeout or on cancel.",
        ),
        read("duration", &["text"], "A duration such as \"1h30m\" in whole seconds."),
    ]
}
