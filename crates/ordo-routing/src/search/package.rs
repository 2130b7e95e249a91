//! What a package is made of, from one warehouse's share of the order: its weight, the
//! box it needs at least, and the attributes a carrier must handle.

use std::collections::BTreeSet;

use super::Problem;

/// Total weight; saturates rather than wrapping for absurd quantities.
pub(crate) fn package_weight_g(p: &Problem<'_>, alloc: &[u32]) -> u32 {
    let grams: u64 = alloc
        .iter()
        .zip(&p.unit_weight_g)
        .map(|(&q, &w)| u64::from(q) * u64::from(w))
        .sum();
    u32::try_from(grams).unwrap_or(u32::MAX)
}

/// The smallest box any unit of the package needs (per axis, the largest unit's side);
/// unknown when any unit's size is.
pub(crate) fn package_dims_mm(p: &Problem<'_>, alloc: &[u32]) -> Option<[u32; 3]> {
    let mut dims = [0_u32; 3];
    for (s, _) in alloc.iter().enumerate().filter(|(_, q)| **q > 0) {
        let unit = p.unit_dims_mm[s]?;
        (0..3).for_each(|axis| dims[axis] = dims[axis].max(unit[axis]));
    }
    Some(dims)
}

/// Every attribute any of the package's lines needs.
pub(crate) fn package_attributes(p: &Problem<'_>, alloc: &[u32]) -> BTreeSet<String> {
    let shipped = alloc.iter().enumerate().filter(|(_, q)| **q > 0);
    shipped.flat_map(|(s, _)| p.attributes[s].iter().cloned()).collect()
}
