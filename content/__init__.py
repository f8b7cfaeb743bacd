"""Posts and their kin: create, edit, delete, visibility rules, the C2S outbox."""
