//! What an HPA handle can do: read its bounds and replica counts, and set
//! its bounds with the JSON patch the seed runbook sends by hand.

use rhai::{Dynamic, EvalAltResult, INT};
use serde_json::{json, Value};

use super::dry_run::report;
use super::errors::bad_argument;
use super::handles::Hpa;
use super::kinds;
use super::requests::{self, PatchBody};
use super::retry::{retrying, Mode};
use super::values::{int_at, to_rhai};

type Result<T> = std::result::Result<T, Box<EvalAltResult>>;

impl Hpa {
    fn fetch(&self) -> Result<Value> {
        self.state
            .run(async |c| requests::get(c, &kinds::hpas(), &self.ns, &self.name).await)
    }

    fn label(&self) -> String {
        format!("horizontalpodautoscaler/{}", self.name)
    }

    /// The whole object as a map.
    pub fn get(&self) -> Result<Dynamic> {
        to_rhai(&self.fetch()?)
    }

    /// `spec.minReplicas` (1 when unset, the API's default).
    pub fn min(&self) -> Result<INT> {
        Ok(int_at(&self.fetch()?, "/spec/minReplicas").unwrap_or(1))
    }

    /// `spec.maxReplicas`.
    pub fn max(&self) -> Result<INT> {
        Ok(int_at(&self.fetch()?, "/spec/maxReplicas").unwrap_or(0))
    }

    /// `status.currentReplicas` (0 before the controller has reported).
    pub fn current(&self) -> Result<INT> {
        Ok(int_at(&self.fetch()?, "/status/currentReplicas").unwrap_or(0))
    }

    /// `status.desiredReplicas` (0 before the controller has reported).
    pub fn desired(&self) -> Result<INT> {
        Ok(int_at(&self.fetch()?, "/status/desiredReplicas").unwrap_or(0))
    }

    /// Set `minReplicas` and `maxReplicas` in one JSON patch.
    pub fn set_bounds(&self, min: INT, max: INT) -> Result<()> {
        if min < 1 || max < min {
            return Err(bad_argument(
                format!("cannot set {} bounds to min {min}, max {max}", self.label()),
                "the bounds need 1 <= min <= max",
            )
            .into_rhai());
        }
        // `add` sets a member whether or not it exists (minReplicas is
        // optional); maxReplicas is required, so `replace` is exact.
        let body = PatchBody::Json(json!([
            {"op": "add", "path": "/spec/minReplicas", "value": min},
            {"op": "replace", "path": "/spec/maxReplicas", "value": max}
        ]));
        let ctx = &self.state.ctx;
        let kind = kinds::hpas();
        let (old_min, old_max) = self.state.run(async |c| {
            retrying(Mode::Write, async || {
                let object = requests::get(c, &kind, &self.ns, &self.name).await?;
                requests::patch(c, ctx, &kind, &self.ns, &self.name, &body).await?;
                Ok((
                    int_at(&object, "/spec/minReplicas").unwrap_or(1),
                    int_at(&object, "/spec/maxReplicas").unwrap_or(0),
                ))
            })
            .await
        })?;
        report(
            ctx,
            "Hpa.set_bounds",
            &format!(
                "{}: minReplicas {old_min} → {min}, maxReplicas {old_max} → {max}",
                self.label()
            ),
        );
        Ok(())
    }
}
