package org.hemastream.inference;

import org.hemastream.events.CellImage;
import org.hemastream.events.CellResult;
import org.hemastream.events.ErrorCode;

/** What became of one cell image on the worker pool: a classification, or a refusal with the reason. */
public sealed interface CellOutcome {

    CellImage cell();

    record Classified(CellImage cell, CellResult result) implements CellOutcome {
    }

    record Refused(CellImage cell, ErrorCode code, String message) implements CellOutcome {
    }
}
