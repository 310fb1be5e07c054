package dev.cordon;

/** The limit that ended a run. */
public enum LimitExceeded {
    CPU_TIME, WALL_TIME, MEMORY, PROCESSES, OUTPUT, FILE_SIZE
}
