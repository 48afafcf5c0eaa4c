//! The catalog view's state (`c`, SPEC 10): which level is open (the
//! types, one type's fields, one field's top values), the cursors, and the
//! rows the view draws from.
//!
//! Bounded work: the type rows (every type sorted by count, ≤ the store's
//! type cap) and the totals of the header are computed when the view opens
//! and then once per frame at most, only after events arrived
//! ([`App::prepare_frame`]); the fields are ordered only for the open type,
//! and only again when it learned a new field. Drawing reads these rows
//! and the catalog, for the visible rows alone.
//!
//! `f` sets the feed's filter (what `Esc` in the feed clears, `u` undoes):
//! `type:NAME` on a type, `type:NAME .path` (the field is present) on a
//! field, `type:NAME .path=VALUE` on a top value; `y` copies the type's
//! JSON Schema.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent};

use super::{Action, App, Overlay, Undo};
use crate::filter::Filter;
use crate::store::catalog::{Field, Kind, TypeEntry, schema};
use crate::ui::json;

/// Which table of the catalog view has the cursor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    /// One row per type.
    #[default]
    Types,
    /// The open type's fields.
    Fields,
    /// The top values of the field under the fields' cursor.
    Values,
}

/// See the module docs.
#[derive(Debug, Clone, Default)]
pub struct CatalogView {
    pub level: Level,
    /// Type ids, most events first (then by name).
    pub rows: Vec<u32>,
    /// Events of every type, and how many were learned from.
    pub total: u64,
    pub learned: u64,
    /// Values left out by the catalog's bounds, all types together.
    pub not_catalogued: u64,
    /// The type under the cursor: an id, not a row, so the cursor stays on
    /// its type while the rows re-sort.
    pub type_cursor: Option<u32>,
    /// The type whose fields are open.
    pub open: Option<u32>,
    /// The open type's fields in tree order (members under their object,
    /// siblings in first-seen order): index into `TypeEntry::fields` and
    /// depth (`/a/b` is 2).
    pub fields: Vec<(u32, u16)>,
    /// How many fields the open type had when `fields` was ordered.
    fields_of: usize,
    pub field_cursor: usize,
    pub value_cursor: usize,
    /// Events arrived since the rows were computed.
    dirty: bool,
}

impl CatalogView {
    /// Row of the type cursor in `rows` (the first row when none yet).
    pub fn type_row(&self) -> usize {
        self.type_cursor
            .and_then(|t| self.rows.iter().position(|&r| r == t))
            .unwrap_or(0)
    }

    /// Events arrived: the rows are out of date.
    pub(super) fn touch(&mut self) {
        self.dirty = true;
    }
}

/// The open type's fields in tree order, with their depth. The data root
/// is left out when it was only ever an object (every field is in it).
pub fn tree_order(t: &TypeEntry) -> Vec<(u32, u16)> {
    let fields = t.fields();
    let mut children: HashMap<&str, Vec<u32>> = HashMap::new();
    for (i, f) in fields.iter().enumerate() {
        if let Some(parent) = f.parent() {
            children.entry(parent).or_default().push(i as u32);
        }
    }
    let mut out = Vec::with_capacity(fields.len());
    let root_shown = t
        .field("")
        .is_some_and(|r| r.kinds_seen().any(|(k, _)| k != Kind::Object));
    // Depth-first, iteratively (paths are at most MAX_DEPTH deep anyway).
    let mut stack: Vec<(u32, u16)> = Vec::new();
    if let Some(root) = children.get("") {
        stack.extend(root.iter().rev().map(|&i| (i, 1)));
    }
    if root_shown && let Some(i) = fields.iter().position(|f| f.path.is_empty()) {
        out.push((i as u32, 0));
    }
    while let Some((i, depth)) = stack.pop() {
        out.push((i, depth));
        if let Some(kids) = children.get(&*fields[i as usize].path) {
            stack.extend(kids.iter().rev().map(|&k| (k, depth + 1)));
        }
    }
    out
}

/// `type:NAME`, the name quoted when the filter would read it otherwise
/// (spaces, quotes, wildcards).
pub fn type_term(name: &str) -> String {
    let plain = !name.is_empty()
        && !name
            .chars()
            .any(|c| c.is_ascii_whitespace() || matches!(c, '"' | '\\' | '*' | '?'));
    if plain {
        format!("type:{name}")
    } else {
        format!("type:{}", json::quote(name))
    }
}

impl App {
    /// Open the catalog view (on the types, cursors kept from last time).
    pub(super) fn open_catalog(&mut self) {
        self.overlay = Some(Overlay::Catalog);
        self.overlay_scroll = 0;
        self.catalog.level = Level::Types;
        self.catalog.dirty = true;
        self.refresh_catalog();
    }

    /// Before a frame: bring the catalog view's rows up to date when it is
    /// open and events arrived since (at most once a frame).
    pub fn prepare_frame(&mut self) {
        if self.overlay == Some(Overlay::Catalog) && self.catalog.dirty {
            self.refresh_catalog();
        }
    }

    /// Recompute the type rows and totals, and the open type's field order
    /// when it learned new fields.
    fn refresh_catalog(&mut self) {
        let cat = self.store.catalog();
        let n = self.store.types().len() as u32;
        let mut rows: Vec<u32> = (0..n).filter(|&id| cat.get(id).is_some()).collect();
        let entry = |id: u32| cat.get(id).expect("rows hold catalogued types");
        rows.sort_by(|&a, &b| {
            let (a, b) = (entry(a), entry(b));
            b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name))
        });
        let v = &mut self.catalog;
        (v.total, v.learned, v.not_catalogued) = rows.iter().fold((0, 0, 0), |(c, l, n), &id| {
            let t = entry(id);
            (c + t.count, l + t.learned, n + t.not_catalogued())
        });
        v.rows = rows;
        v.dirty = false;
        if let Some(t) = v.open.and_then(|id| cat.get(id))
            && t.fields().len() != v.fields_of
        {
            v.fields = tree_order(t);
            v.fields_of = t.fields().len();
        }
    }

    /// The type under the catalog's type cursor.
    pub fn catalog_type(&self) -> Option<(u32, &TypeEntry)> {
        let v = &self.catalog;
        let id = match v.level {
            Level::Types => *v.rows.get(v.type_row())?,
            Level::Fields | Level::Values => v.open?,
        };
        Some((id, self.store.catalog().get(id)?))
    }

    /// The field under the catalog's field cursor (of the open type).
    pub fn catalog_field(&self) -> Option<&Field> {
        let v = &self.catalog;
        let &(i, _) = v.fields.get(v.field_cursor)?;
        self.store.catalog().get(v.open?)?.fields().get(i as usize)
    }

    /// Keys of the catalog view.
    pub(super) fn catalog_key(&mut self, k: &KeyEvent) -> Action {
        self.refresh_catalog_if_dirty();
        let page = self.page.max(1) as isize;
        match k.code {
            KeyCode::Char('q') | KeyCode::Char('c') => self.overlay = None,
            KeyCode::Esc => match self.catalog.level {
                Level::Types => self.overlay = None,
                Level::Fields => self.catalog.level = Level::Types,
                Level::Values => self.catalog.level = Level::Fields,
            },
            KeyCode::Char('?') => self.open(Overlay::Help),
            KeyCode::Char('s') => self.open(Overlay::Sources),
            KeyCode::Char('v') => self.open(Overlay::State),
            KeyCode::Char('j') | KeyCode::Down => self.catalog_move(1),
            KeyCode::Char('k') | KeyCode::Up => self.catalog_move(-1),
            KeyCode::PageDown => self.catalog_move(page),
            KeyCode::PageUp => self.catalog_move(-page),
            KeyCode::Char('g') | KeyCode::Home => self.catalog_move(isize::MIN / 2),
            KeyCode::Char('G') | KeyCode::End => self.catalog_move(isize::MAX / 2),
            KeyCode::Enter => self.catalog_enter(),
            KeyCode::Char('f') => self.catalog_filter(),
            KeyCode::Char('y') => match self.catalog_type() {
                Some((_, t)) => {
                    let text = serde_json::to_string_pretty(&schema::schema(t)).unwrap_or_default();
                    return Action::Copy(text);
                }
                None => self.notify("no type to copy the schema of", true),
            },
            _ => {}
        }
        Action::None
    }

    fn refresh_catalog_if_dirty(&mut self) {
        if self.catalog.dirty {
            self.refresh_catalog();
        }
    }

    fn catalog_move(&mut self, delta: isize) {
        let clamp = |cur: usize, len: usize| -> usize {
            (cur as isize)
                .saturating_add(delta)
                .clamp(0, len.saturating_sub(1) as isize) as usize
        };
        let values = self
            .catalog_field()
            .and_then(Field::top_values)
            .map_or(0, |v| v.len());
        let v = &mut self.catalog;
        match v.level {
            Level::Types => {
                if !v.rows.is_empty() {
                    let row = clamp(v.type_row(), v.rows.len());
                    v.type_cursor = Some(v.rows[row]);
                }
            }
            Level::Fields => {
                v.field_cursor = clamp(v.field_cursor, v.fields.len());
                v.value_cursor = 0;
            }
            Level::Values => v.value_cursor = clamp(v.value_cursor, values),
        }
    }

    /// `Enter`: a type's fields; a field's top values.
    fn catalog_enter(&mut self) {
        match self.catalog.level {
            Level::Types => {
                let Some((id, t)) = self.catalog_type() else {
                    return;
                };
                let (fields, fields_of) = (tree_order(t), t.fields().len());
                let v = &mut self.catalog;
                v.fields_of = fields_of;
                v.fields = fields;
                if v.open != Some(id) {
                    v.field_cursor = 0;
                    v.value_cursor = 0;
                }
                v.type_cursor = Some(id);
                v.open = Some(id);
                v.level = Level::Fields;
            }
            Level::Fields => {
                let Some(f) = self.catalog_field() else { return };
                if f.top_values().is_some() {
                    self.catalog.level = Level::Values;
                    self.catalog.value_cursor = 0;
                } else {
                    let scalars = f
                        .kinds_seen()
                        .any(|(k, _)| !matches!(k, Kind::Object | Kind::Array));
                    let why = if f.secret {
                        "its values are never kept (a secret-looking key)"
                    } else if !scalars {
                        "it holds objects or arrays"
                    } else {
                        "too many distinct values to count"
                    };
                    self.notify(format!("no top values for this field: {why}"), true);
                }
            }
            Level::Values => self.catalog_filter(),
        }
    }

    /// `f`: filter the feed to the type, the field or the value under the
    /// cursor.
    fn catalog_filter(&mut self) {
        let Some((_, t)) = self.catalog_type() else { return };
        let mut text = type_term(&t.name);
        if self.catalog.level != Level::Types
            && let Some(f) = self.catalog_field()
            && let Some(path) = json::catalog_path(&f.path)
        {
            text.push(' ');
            if self.catalog.level == Level::Values {
                let top = f.top_values().unwrap_or_default();
                let Some((value, _)) = top.get(self.catalog.value_cursor) else {
                    return;
                };
                text.push_str(&json::value_term(&path, value));
            } else {
                text.push_str(&path);
            }
        }
        match Filter::parse(&text) {
            Ok(filter) => {
                self.undo = Some(Undo {
                    filter: self.filter.source_text().to_owned(),
                    types: std::mem::take(&mut self.types),
                });
                self.filter = filter;
                self.new_types.clear();
                self.remember(text.clone());
                self.refilter();
                self.overlay = None;
                self.notify(format!("filter: {text} — u to undo"), false);
            }
            Err(e) => self.notify(e.to_string(), true),
        }
    }
}
