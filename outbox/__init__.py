"""Publishing: record what local actors send, resolve audiences, deliver durably."""
