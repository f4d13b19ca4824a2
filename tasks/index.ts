import "./network";
import "./compile";
import "./errors";
import "./sizes";
import "./deploy";
import "./identity";
import "./consent";
import "./records";
import "./keys";
import "./doctor";
import "./claims";
import "./governance";
import "./simulate";
import "./supplychain";
import "./trials";
import "./audit";
import "./coverage";

import { failReadably } from "./failures";

// Last, once every task is defined: each careledger:* task then fails with one line an operator can act on.
failReadably();
