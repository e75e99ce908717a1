#!/bin/sh
# Scheduled backups: a pg_dump (custom format) and a tar of the media folder, every
# KEEL_BACKUP_INTERVAL_SECONDS, keeping KEEL_BACKUP_KEEP_DAYS days. KEEL_BACKUP_ONCE=1 runs one
# backup and exits (used by the restore test and by hand: `docker compose run --rm -e
# KEEL_BACKUP_ONCE=1 backup`). Needs PGHOST/PGPORT/PGUSER/PGPASSWORD/PGDATABASE (libpq's own).
set -eu
BACKUP_DIR="${KEEL_BACKUP_DIR:-/backups}"
MEDIA_DIR="${KEEL_MEDIA_DIR:-/data/media}"
INTERVAL="${KEEL_BACKUP_INTERVAL_SECONDS:-86400}"
KEEP_DAYS="${KEEL_BACKUP_KEEP_DAYS:-14}"

backup_once() {
	stamp="$(date -u +%Y%m%dT%H%M%SZ)"
	mkdir -p "$BACKUP_DIR"
	# Written under a temporary name and renamed: a half-written dump is never taken for a backup.
	pg_dump --format=custom --no-owner --file "$BACKUP_DIR/.keel-$stamp.dump.part"
	mv "$BACKUP_DIR/.keel-$stamp.dump.part" "$BACKUP_DIR/keel-$stamp.dump"
	if [ -d "$MEDIA_DIR" ]; then
		tar -czf "$BACKUP_DIR/.media-$stamp.tar.gz.part" -C "$MEDIA_DIR" .
		mv "$BACKUP_DIR/.media-$stamp.tar.gz.part" "$BACKUP_DIR/media-$stamp.tar.gz"
	fi
	# Retention: older backups go, but the newest pair always stays.
	newest="$(ls -1t "$BACKUP_DIR"/keel-*.dump | head -n 1)"
	find "$BACKUP_DIR" -maxdepth 1 \( -name 'keel-*.dump' -o -name 'media-*.tar.gz' \) \
		-mtime +"$KEEP_DAYS" ! -path "$newest" -delete
	echo "backup $stamp written to $BACKUP_DIR"
}

if [ "${KEEL_BACKUP_ONCE:-0}" = "1" ]; then
	backup_once
	exit 0
fi
while true; do
	backup_once || echo "backup failed; retrying at the next interval" >&2
	sleep "$INTERVAL"
done
