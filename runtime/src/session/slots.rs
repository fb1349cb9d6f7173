//! `Slots`: the small map the session keys everything by (holdings,
//! obligations, approvals, touched pairs), searched in order.

/// A small map searched in order. A bundle touches a handful of keys, and
/// a scan of a few ids costs less than a tree or a hash table; the order of
/// first insertion is kept, and whoever needs the order of names sorts.
#[derive(Clone, Debug)]
pub(super) struct Slots<K, V> {
    pub(super) items: Vec<(K, V)>,
}

impl<K, V> Default for Slots<K, V> {
    fn default() -> Self {
        Slots { items: Vec::new() }
    }
}

impl<K: Copy + PartialEq, V> Slots<K, V> {
    pub(super) fn get(&self, key: K) -> Option<&V> {
        self.items.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub(super) fn get_mut(&mut self, key: K) -> Option<&mut V> {
        self.items
            .iter_mut()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }

    /// The entry for `key`, made with `init()` if absent.
    pub(super) fn entry(&mut self, key: K, init: impl FnOnce() -> V) -> &mut V {
        let at = match self.items.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                self.items.push((key, init()));
                self.items.len() - 1
            }
        };
        &mut self.items[at].1
    }

    pub(super) fn remove(&mut self, key: K) -> Option<V> {
        let i = self.items.iter().position(|(k, _)| *k == key)?;
        Some(self.items.remove(i).1)
    }

    pub(super) fn iter(&self) -> impl Iterator<Item = &(K, V)> {
        self.items.iter()
    }

    pub(super) fn clear(&mut self) {
        self.items.clear();
    }
}
