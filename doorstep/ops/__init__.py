"""Operations tools: backup and restore (`doorstep backup`, `doorstep restore`)."""
