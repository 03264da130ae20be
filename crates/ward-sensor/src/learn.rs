//! What the inventory learns from dissector records: names and DHCP fingerprints.

use crate::inventory::Inventory;
use ward_dissect::Record;

pub(crate) fn learn(_inv: &mut Inventory, record: &Record) {
    match record {
        Record::Dhcp(_) | Record::Dns(_) => {}
        _ => {}
    }
}
