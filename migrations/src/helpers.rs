//! Small builders the migrations share, so each table reads as a list of columns.

use sea_orm_migration::prelude::*;

/// A foreign key from `from.column` to `to.id` that deletes the child rows with the parent.
pub fn fk(from: &'static str, column: &'static str, to: &'static str) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, column)
        .to(to, "id")
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

/// An index named `idx_{table}_{columns}`.
pub fn index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = Index::create()
        .name(format!("idx_{table}_{}", columns.join("_")))
        .table(table)
        .to_owned();
    for column in columns {
        stmt.col(*column);
    }
    stmt
}

/// A unique index named like [`index`].
pub fn unique_index(table: &'static str, columns: &[&'static str]) -> IndexCreateStatement {
    let mut stmt = index(table, columns);
    stmt.unique();
    stmt
}
