//! Windows accounts as the logs name them.

use super::account;
use cb_domain::EntityRecord;

/// Sysmon's `User` (`DOMAIN\name`) with an optional SID.
pub(crate) fn from_user(user: Option<String>, sid: Option<String>) -> Option<EntityRecord> {
    account(user, None, sid)
}
