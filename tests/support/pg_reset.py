"""A used PostgreSQL test database put back into the state of the template it was copied from.

Copying the template and dropping the copy cost little CPU but a lot of disk: a copy is some
900 files, each written through the WAL and synced at the next checkpoint, and every DROP
DATABASE waits for a checkpoint. In a busy run those checkpoints take tens of seconds and tests
wait for their database. Emptying the tables of a used copy instead takes milliseconds.

A copy is reused only when it is provably the template again: its schema (every relation,
column, constraint, index, trigger, function, type, extension, sequence, policy and database
setting, compared by definition) equals the template's, and then its rows and sequence
positions are set back to the template's. A copy whose schema a test changed (a migration
test going down and up, say) is dropped as before. Emptying needs ``session_replication_role``
(a superuser's setting) to pass the append-only trigger and foreign keys; without it every
copy is dropped, as before.
"""

from __future__ import annotations

import sqlalchemy as sa

USER_SCHEMAS = "n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname !~ '^pg_(toast|temp_|toast_temp_)'"

# One line per object, by definition (never by oid or file node, which a rewrite changes).
SCHEMA = f"""
SELECT md5(string_agg(line, E'\\n' ORDER BY line)) FROM (
    SELECT 'schema ' || nspname AS line FROM pg_namespace n WHERE {USER_SCHEMAS}
    UNION ALL
    SELECT concat_ws(' ', 'relation', c.oid::regclass, c.relkind, c.relpersistence, c.relrowsecurity,
                     c.reloptions::text, c.relacl::text, pg_get_viewdef(c.oid), pg_get_indexdef(c.oid))
      FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE {USER_SCHEMAS}
    UNION ALL
    SELECT concat_ws(' ', 'column', a.attrelid::regclass, a.attnum, a.attname, format_type(a.atttypid, a.atttypmod),
                     a.attnotnull, a.attidentity, a.attgenerated, a.attcollation, pg_get_expr(d.adbin, d.adrelid))
      FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE {USER_SCHEMAS} AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT concat_ws(' ', 'constraint', o.conrelid::regclass, o.contypid::regtype, o.conname, pg_get_constraintdef(o.oid))
      FROM pg_constraint o JOIN pg_namespace n ON n.oid = o.connamespace WHERE {USER_SCHEMAS}
    UNION ALL
    SELECT concat_ws(' ', 'trigger', pg_get_triggerdef(t.oid), t.tgenabled) FROM pg_trigger t WHERE NOT t.tgisinternal
    UNION ALL
    SELECT concat_ws(' ', 'function', p.oid::regprocedure, md5(p.prosrc), p.proacl::text)
      FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE {USER_SCHEMAS}
    UNION ALL
    SELECT concat_ws(' ', 'type', t.oid::regtype, t.typtype)
      FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE {USER_SCHEMAS}
    UNION ALL
    SELECT concat_ws(' ', 'enum', enumtypid::regtype, enumsortorder, enumlabel) FROM pg_enum
    UNION ALL
    SELECT concat_ws(' ', 'sequence', seqrelid::regclass, seqtypid, seqstart, seqincrement, seqmax, seqmin, seqcycle)
      FROM pg_sequence
    UNION ALL
    SELECT concat_ws(' ', 'extension', extname, extversion) FROM pg_extension
    UNION ALL
    SELECT concat_ws(' ', 'policy', polrelid::regclass, polname, polcmd, pg_get_expr(polqual, polrelid)) FROM pg_policy
    UNION ALL
    SELECT concat_ws(' ', 'setting', setrole, setconfig::text) FROM pg_db_role_setting
     WHERE setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
    UNION ALL
    SELECT 'large objects ' || count(*) FROM pg_largeobject_metadata
    UNION ALL
    SELECT 'prepared ' || gid FROM pg_prepared_xacts WHERE database = current_database()
) AS lines
"""

TABLES = f"""
SELECT c.oid::regclass::text, array_agg(quote_ident(a.attname) ORDER BY a.attnum) FILTER (WHERE a.attgenerated = '')
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a ON a.attrelid = c.oid
 WHERE {USER_SCHEMAS} AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
 GROUP BY c.oid ORDER BY 1
"""

SEQUENCES = """
SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename), start_value, last_value FROM pg_sequences
"""


class Reset:
    """The template's schema, rows and sequence positions, read once; ``apply`` restores them."""

    def __init__(self, template_url: str):
        with _connect(template_url) as conn:
            self.schema = conn.exec_driver_sql(SCHEMA).scalar_one()
            self.tables = [(name, ", ".join(columns)) for name, columns in conn.exec_driver_sql(TABLES)]
            self.rows = {name: _copy_out(conn, name, columns) for name, columns in self.tables}
            self.rows = {name: data for name, data in self.rows.items() if data}
            self.sequences = conn.exec_driver_sql(SEQUENCES).all()

    def apply(self, url: str) -> bool:
        """Put the database at ``url`` back as the template was; False (nothing changed) when
        its schema differs from the template's. No other session may be connected."""
        with _connect(url) as conn:
            if conn.exec_driver_sql(SCHEMA).scalar_one() != self.schema:
                return False
            conn.exec_driver_sql("SET LOCAL session_replication_role = replica")  # triggers and foreign keys off
            conn.exec_driver_sql("; ".join(f"DELETE FROM {name}" for name, _ in self.tables))
            for name, columns in self.tables:
                if name in self.rows:
                    _copy_in(conn, name, columns, self.rows[name])
            for sequence, start, last in self.sequences:
                conn.exec_driver_sql("SELECT setval(%s, %s, %s)", (sequence, last or start, last is not None))
            conn.commit()
        return True


def _connect(url: str):
    return sa.create_engine(url, poolclass=sa.pool.NullPool).connect()


def _copy_out(conn: sa.Connection, table: str, columns: str) -> bytes:
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({columns}) TO STDOUT") as copy:
            return b"".join(bytes(chunk) for chunk in copy)


def _copy_in(conn: sa.Connection, table: str, columns: str, data: bytes) -> None:
    with conn.connection.driver_connection.cursor() as cursor:
        with cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            copy.write(data)
