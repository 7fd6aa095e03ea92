import type { DifferentialCount, Landscape } from "../api/types";

export type ClassCount = DifferentialCount["classes"][number];
export type LandscapeData = Pick<Landscape, "references" | "cells">;
