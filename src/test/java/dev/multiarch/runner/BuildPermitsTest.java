package dev.multiarch.runner;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The runner's build permits: as many builds as permits, a permit back once, when its job's build ends. */
class BuildPermitsTest {
    @Test
    void aPermitGivenBack_letsTheNextBuildStart_onlyOnceHoweverOftenItIsGivenBack() throws Exception {
        BuildPermits p = new BuildPermits(2);
        BuildPermits.Permit a = p.take(Duration.ZERO);
        BuildPermits.Permit b = p.take(Duration.ZERO);
        assertNotNull(a);
        assertNotNull(b);
        assertNull(p.take(Duration.ZERO), "two builds run; a third waits");

        a.run(); // a's build command ended: its export and push do not hold the permit
        BuildPermits.Permit c = p.take(Duration.ZERO);
        assertNotNull(c, "the next job's build starts while a's job ends");
        a.run(); // a's job ended: the permit went back already
        assertNull(p.take(Duration.ZERO), "b and c build; a's second give-back did not make a third permit");
    }
}
